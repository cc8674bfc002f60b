/**
 * The launcher: starts the registry and the nodes of a launch spec,
 * supervises them, and stops everything in reverse order.
 *
 * @module
 */

import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { defaultEngine, libzmq } from "../zmq/mod.ts";
import type { Logger } from "../rpc/mod.ts";
import type { Registry } from "../registry/types.ts";
import { connectRegistry, startRegistry } from "../registry/mod.ts";
import { LaunchError } from "./errors.ts";
import { consoleLaunchLogger, type LaunchLogger } from "./logger.ts";
import { RegistryView, type ViewChange } from "../registry/view.ts";
import { type NodeOutcome, Supervisor } from "./_supervisor.ts";
import { type ResolvedLaunch, validateLaunch } from "./_validate.ts";
import { parseRegistryEndpoint } from "../registry/_endpoint.ts";
import { advertiseHost } from "../registry/network.ts";
import type { LaunchDefinition, LaunchSpec } from "./types.ts";
import { projectOf } from "./_project.ts";
import { readEnv } from "../_util/env.ts";
import { secureKeys } from "./_secure.ts";

export type { NodeOutcome };

/** Options of {@linkcode launch} and {@linkcode startLaunch}. */
export interface LaunchOptions {
  /**
   * The launch file (a path or URL): relative modules and paths of the spec
   * are resolved against it.
   * @default {the current directory}
   */
  file?: string;
  /** Stops the launch (in order, with the grace period) when aborted. */
  signal?: AbortSignal;
  /**
   * Where the launcher's lines and the nodes' output go.
   * @default {consoleLaunchLogger()}
   */
  logger?: LaunchLogger;
  /**
   * Use this registry (`etcd://…`, or a running registry's `tcp://…`)
   * instead of the one the spec says; no embedded registry is started.
   * @default {the spec's}
   */
  registry?: string;
  /**
   * Start only the nodes placed on this host (`NodeSpec.host`); they report
   * it as their host. Needs a shared registry (etcd or external).
   * @default {every node}
   */
  host?: string;
  /**
   * Where the embedded registry keeps the params (overrides the spec's
   * `paramsFile`); `false` keeps them in memory only.
   * @default {the spec's `paramsFile`}
   */
  paramsFile?: string | false;
  /**
   * The `deno.json` subprocess nodes run with: its import map,
   * `nodeModulesDir` and lock file. Worker and in-process nodes run with
   * this process's own configuration.
   * @default {the nearest deno.json or deno.jsonc from the launch file's folder up (from the working folder without a file)}
   */
  config?: string;
  /**
   * Secure mode even when the spec does not ask for it (`zmp launch
   * --secure`); see docs/security.md.
   * @default {the spec's `security.curve`}
   */
  secure?: boolean;
  /**
   * The key directory of secure mode.
   * @default {$ZMP_KEYS, else the spec's `security.keys`, else `.zmp/keys` beside the launch file}
   */
  keys?: string;
}

/** How a launch ended. */
export interface LaunchResult {
  /** 0 when every node ended cleanly or was stopped; 1 when one failed. */
  code: number;
  /** How each node ended, by name. */
  nodes: Record<string, NodeOutcome>;
  /** The node that failed and why, when `code` is 1. */
  failed?: { node: string; reason: string };
}

/** A launch in progress. */
export interface RunningLaunch extends AsyncDisposable {
  /** The registry endpoint the nodes use. */
  readonly registry: string;
  /** Resolves when the launch has ended and everything is closed. */
  readonly done: Promise<LaunchResult>;
  /** The node names and the pid of their current run, if running. */
  pids(): Record<string, number | undefined>;
  /** Stops every node in reverse order, then the registry. Idempotent. */
  stop(): Promise<LaunchResult>;
  /** Kills every node now (no grace period), then ends like `stop()`. */
  kill(): Promise<LaunchResult>;
}

function toUrl(file: string): string {
  if (/^[A-Za-z][A-Za-z0-9+.-]+:/.test(file)) return new URL(file).href;
  return pathToFileURL(resolve(file)).href;
}

/** Checks that every local module exists, before anything starts. */
export function checkModules(launch: ResolvedLaunch): void {
  for (const n of launch.nodes) {
    const url = new URL(n.moduleUrl);
    if (url.protocol !== "file:") continue;
    const path = decodeURIComponent(url.pathname);
    let isFile = false;
    try {
      isFile = Deno.statSync(path).isFile;
    } catch {
      isFile = false;
    }
    if (!isFile) {
      throw new LaunchError(
        `Cannot launch: node "${n.name}": module "${n.module}" does not exist (${path})`,
        { file: launch.file, node: n.name, field: "module" },
      );
    }
  }
}

function describeChange(change: ViewChange): string[] {
  if (change.type === "removed") {
    return change.reason === "expired"
      ? [`${change.node.name} left the registry: its lease expired`]
      : [];
  }
  const n = change.node;
  const old = change.type === "updated" ? change.previous : undefined;
  const lines: string[] = [];
  if (change.type === "added") lines.push(`${n.name} registered`);
  const had = (list: string[], item: string) => list.includes(item);
  const oldServices = old?.services.map((s) => s.name) ?? [];
  const oldPubs = old?.publishes.map((p) => p.topic) ?? [];
  const oldSubs = old?.subscribes.map((s) => s.topic) ?? [];
  for (const s of n.services) {
    if (!had(oldServices, s.name)) lines.push(`${n.name} serves ${s.name}`);
  }
  for (const p of n.publishes) {
    if (!had(oldPubs, p.topic)) lines.push(`${n.name} publishes ${p.topic}`);
  }
  for (const s of n.subscribes) {
    if (!had(oldSubs, s.topic)) {
      lines.push(`${n.name} subscribes to ${s.topic}`);
    }
  }
  return lines;
}

/**
 * Applies `--registry` and `--host` to a checked spec.
 *
 * @param launch the spec
 * @param options the overrides
 * @returns the launch to run here
 * @throws {LaunchError} for a bad registry, `--host` with an embedded
 *   registry, or a host no node is placed on
 */
function placed(
  launch: ResolvedLaunch,
  options: LaunchOptions,
): ResolvedLaunch {
  const where = { file: launch.file, field: "registry" };
  let registry = launch.registry;
  if (options.registry !== undefined) {
    try {
      registry = {
        kind: "external",
        endpoint: parseRegistryEndpoint(options.registry, "launch").endpoint,
      };
    } catch (e) {
      throw new LaunchError((e as Error).message, { ...where, cause: e });
    }
  }
  const host = options.host;
  if (host === undefined) return { ...launch, registry };
  if (registry.kind === "embedded") {
    throw new LaunchError(
      `Cannot launch on host "${host}": --host needs a registry that every host shares, and the launch file's is embedded (give one with --registry etcd://…, or registry: { etcd: [...] })`,
      where,
    );
  }
  const nodes = launch.nodes.filter((n) => n.host === host);
  if (nodes.length === 0) {
    const hosts = [...new Set(launch.nodes.map((n) => n.host))].filter((h) =>
      h !== undefined
    ).sort();
    throw new LaunchError(
      `Cannot launch on host "${host}": no node of the launch file is placed there (hosts: ${
        hosts.join(", ") || "none"
      })`,
      { file: launch.file, field: "host" },
    );
  }
  return { ...launch, registry, nodes };
}

/**
 * Starts a launch: checks the spec, starts the embedded registry (unless
 * external), then the nodes in declared order, each once its `after`
 * conditions hold. Resolves once the registry is up and the nodes are on
 * their way; {@linkcode RunningLaunch.done} tells how it ended.
 *
 * @param spec the launch spec (a launch file's default export)
 * @param options the launch file, a stop signal, a logger
 * @returns the running launch
 * @throws {LaunchError} for a bad spec, a missing module, or a registry
 *   that cannot start
 */
export async function startLaunch(
  spec: LaunchSpec | LaunchDefinition,
  options: LaunchOptions = {},
): Promise<RunningLaunch> {
  const file = options.file === undefined ? undefined : toUrl(options.file);
  const validated = validateLaunch(spec, file, { secure: options.secure });
  const resolved = placed(validated, options);
  checkModules(resolved);
  const logger = options.logger ??
    consoleLaunchLogger({ names: resolved.nodes.map((n) => n.name) });
  // Nodes on the zmtp engine never open libzmq: neither does the launcher.
  const libzmqPath = readEnv("ZMP_LIBZMQ") ??
    (defaultEngine() === "libzmq" ? libzmq().path : undefined);
  const project = projectOf(file, options.config);

  const rpcLogger: Logger = {
    warn: (m) => logger.log("warn", `registry: ${m}`),
    error: (m) => logger.log("error", `registry: ${m}`),
  };
  const keys = options.secure || resolved.security !== undefined
    ? await secureKeys(resolved, {
      keys: options.keys,
      everyone: validated.nodes,
      host: options.host,
    })
    : undefined;
  let server: { endpoint: string; close(): Promise<void> } | undefined;
  let endpoint: string;
  if (resolved.registry.kind === "embedded") {
    const r = resolved.registry;
    try {
      server = await startRegistry({
        ...(keys?.registry === undefined ? {} : { security: keys.registry }),
        endpoint: r.endpoint,
        ttl: r.ttl,
        maxElements: r.maxElements,
        paramsFile: options.paramsFile === false
          ? undefined
          : options.paramsFile ?? r.paramsFile,
        logger: rpcLogger,
      });
    } catch (e) {
      const why = e instanceof Error ? e.message.split("\n")[0] : String(e);
      throw new LaunchError(
        `Cannot launch: the registry cannot start on ${r.endpoint}: ${why}`,
        { file, field: "registry", cause: e },
      );
    }
    endpoint = server.endpoint;
    logger.log("info", `registry listening on ${endpoint}`);
    if (keys !== undefined) {
      logger.log(
        "info",
        `secure mode: CURVE on every socket, ${
          Object.keys(keys.allowed).length
        } node keys in ${keys.dir}`,
      );
    }
    const kept = options.paramsFile === false
      ? undefined
      : options.paramsFile ?? r.paramsFile;
    logger.log(
      "info",
      kept === undefined
        ? "params kept in memory: they end with this launch"
        : `params kept in ${kept}`,
    );
  } else {
    endpoint = resolved.registry.endpoint;
    logger.log("info", `using the registry at ${endpoint}`);
    if (keys !== undefined) {
      logger.log(
        "info",
        `secure mode: CURVE on every socket, ${
          Object.keys(keys.allowed).length
        } node keys in ${keys.dir} (the secret keys of ${keys.nodes.size} here); etcd's TLS client certificates keep out the rest`,
      );
      if (keys.foreignSecrets.length > 0) {
        logger.log(
          "warn",
          `secure mode: ${keys.dir} holds the secret keys of ${
            keys.foreignSecrets.join(", ")
          }, which run elsewhere: whoever takes this host has their identities too; keep only their public keys here (docs/security.md, "Each host holds its own nodes' keys")`,
        );
      }
    }
  }

  let client: Registry;
  try {
    client = await connectRegistry({
      endpoint,
      logger: rpcLogger,
      ...(keys?.launcher === undefined ? {} : { curve: keys.launcher }),
    });
  } catch (e) {
    await server?.close();
    const why = e instanceof Error ? e.message.split("\n")[0] : String(e);
    throw new LaunchError(
      `Cannot launch: cannot connect to the registry at ${endpoint}: ${why}`,
      { file, field: "registry", cause: e },
    );
  }
  const view = new RegistryView(client, { logger: rpcLogger });
  view.listen((change) => {
    for (const line of describeChange(change)) {
      logger.log(change.type === "removed" ? "warn" : "info", line);
    }
  });
  view.start().catch(() => {}); // a failed watch is logged by the view

  const advertise = advertiseHost(endpoint);
  if (options.host !== undefined) {
    logger.log(
      "info",
      `host ${options.host}: ${resolved.nodes.length} node${
        resolved.nodes.length === 1 ? "" : "s"
      }, reached at ${advertise}`,
    );
  }
  for (const node of resolved.nodes) {
    if (node.unsafeFfi) {
      logger.log(
        "warn",
        `${node.name} has unsafeFfi: it runs on libzmq with --allow-ffi, so its sandbox is void (through FFI it can do anything this user can)`,
      );
    }
  }
  const supervisors = resolved.nodes.map((node) =>
    new Supervisor(node, {
      security: keys?.nodes.get(node.name),
      registry: endpoint,
      host: options.host,
      advertise,
      logger,
      libzmqPath,
      project,
      gracePeriod: resolved.gracePeriod,
      view,
    })
  );

  let stopping: Promise<void> | undefined;
  let stopRequested!: () => void;
  const stopped = new Promise<void>((resolve) => stopRequested = resolve);
  let failed: LaunchResult["failed"];
  let requiredCode = 0;
  let finished = false;
  const stopAll = (reason: string, kill = false): Promise<void> => {
    if (finished) return Promise.resolve();
    if (kill) { for (const s of supervisors) s.kill(); }
    return stopping ??= (async () => {
      stopRequested();
      logger.log("info", `stopping: ${reason}`);
      for (const s of [...supervisors].reverse()) await s.stop();
    })();
  };

  const onAbort = () => void stopAll("asked to stop");
  options.signal?.addEventListener("abort", onAbort, { once: true });
  if (options.signal?.aborted) onAbort();

  for (const s of supervisors) {
    s.outcome.then((outcome) => {
      if (stopping) return;
      if (outcome.status === "failed") {
        failed ??= { node: s.node.name, reason: outcome.reason };
        void stopAll(`${s.node.name} failed`);
      } else if (s.node.required) {
        requiredCode = outcome.code ?? 0;
        void stopAll(
          `${s.node.name} is required and ended (exit code ${requiredCode})`,
        );
      }
    });
  }

  const done = (async (): Promise<LaunchResult> => {
    // A launch without nodes is a registry alone: it runs until stopped.
    if (supervisors.length === 0) await stopped;
    const outcomes = await Promise.all(supervisors.map((s) => s.outcome));
    await stopping;
    finished = true;
    options.signal?.removeEventListener("abort", onAbort);
    await view.close();
    await client.close();
    if (server) {
      await server.close();
      logger.log("info", "registry closed");
    }
    const nodes: Record<string, NodeOutcome> = {};
    supervisors.forEach((s, i) => nodes[s.node.name] = outcomes[i]);
    const code = failed || requiredCode !== 0 ? 1 : 0;
    if (failed) {
      logger.log("error", `launch failed: ${failed.node} ${failed.reason}`);
    } else if (supervisors.length > 0 && !stopping) {
      logger.log("info", "every node ended cleanly");
    }
    await logger.flush?.();
    const result: LaunchResult = { code, nodes };
    if (failed) result.failed = failed;
    return result;
  })();

  return {
    registry: endpoint,
    done,
    pids: () =>
      Object.fromEntries(supervisors.map((s) => [s.node.name, s.running?.pid])),
    stop: async () => {
      await stopAll("asked to stop");
      return await done;
    },
    kill: async () => {
      await stopAll("killed", true);
      return await done;
    },
    [Symbol.asyncDispose]: async () => {
      await stopAll("disposed");
      await done;
    },
  };
}

/**
 * Runs a launch to its end: see {@linkcode startLaunch}.
 *
 * @example
 * ```ts
 * import { defineLaunch, launch } from "zmp";
 *
 * const result = await launch(
 *   defineLaunch({ nodes: [{ name: "calc-1", module: "./server_node.ts" }] }),
 *   { file: "examples/calculator/launch.ts", signal: AbortSignal.timeout(5000) },
 * );
 * console.log(result.code);
 * ```
 *
 * @param spec the launch spec
 * @param options the launch file, a stop signal, a logger
 * @returns how it ended: code 0, or 1 with the failed node
 * @throws {LaunchError} when it cannot start
 */
export async function launch(
  spec: LaunchSpec | LaunchDefinition,
  options: LaunchOptions = {},
): Promise<LaunchResult> {
  const running = await startLaunch(spec, options);
  return await running.done;
}
