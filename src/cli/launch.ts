/**
 * `zmp launch <file>`: runs a launch file (see `src/launch/`) with the
 * configuration of the project that holds it.
 *
 * @module
 */

import { resolve } from "node:path";
import { readEnv } from "../_util/env.ts";
import { isEtcdEndpoint } from "../registry/_endpoint.ts";
import { LaunchError } from "../launch/errors.ts";
import type { LaunchDefinition } from "../launch/types.ts";
import type { RunningLaunch } from "../launch/launcher.ts";
import {
  findProjectConfig,
  projectOf,
  reachesZmp,
  resolveLaunchFile,
  ZMP_ROOT,
} from "../launch/_project.ts";
import { CliError, parse, runCommand, UsageError } from "./_common.ts";
import { rerun, runsWithConfig } from "./_rerun.ts";

/** The `--help` text of `zmp launch`. */
export const USAGE = `Usage: zmp launch [options] <file>

Starts the registry and the nodes of a launch file (a module whose default
export is defineLaunch({...})), prints their output prefixed with their
names, restarts them by their policies, and stops them in reverse order on
Ctrl-C or SIGTERM (a second Ctrl-C kills them at once).

<file> is a launch file, or a folder holding a launch.ts. The launcher and
its nodes run with the configuration of the project that holds it (the
nearest deno.json or deno.jsonc from its folder up): its import map,
nodeModulesDir and lock file. The embedded registry listens where the
launch file says, else at $ZMP_REGISTRY, else at tcp://127.0.0.1:7350.

Options:
  --registry <endpoint>  use this registry instead of the launch file's:
                         etcd://host:2379,host:2379 (many machines), or a
                         running registry's tcp://host:port; none is started
  --host <name>          start only the nodes the launch file places on this
                         host (run it on each machine, against etcd)
  --params <path>        keep the params in this file (default: the launch
                         file's name with .params.json, beside it)
  --no-params            keep the params in memory only
  --config <file>        the deno.json to run with instead
  --no-check             do not type-check the launch file and its node modules
  --secure               secure mode (CURVE on every socket, one key pair per
                         node, allow-list and policy), like security: { curve:
                         true } in the launch file; see docs/security.md
  --keys <dir>           the key directory of secure mode (default: $ZMP_KEYS,
                         else the launch file's, else .zmp/keys beside it);
                         with --host, it holds this host's nodes' key pairs
                         and the others' public keys (zmp keys import)
  --metrics-port <n>     serve every process's metrics in the Prometheus text
                         format at http://127.0.0.1:<n>/metrics (0: a free port)
  -h, --help             show this help

What survives what:
  - A node restart: everything in the registry (params, other nodes).
  - A launcher restart, embedded registry: the params, from the params file
    (written after every change); the nodes register again as they start.
    With --no-params, params start empty.
  - With etcd (--registry etcd://..., registry: { etcd: [...] }, or
    ZMP_REGISTRY=etcd://...): params live in etcd and survive any launcher,
    node or machine restart; no params file is used.

Examples:
  zmp launch launch.ts
  zmp launch examples/sensors
  zmp launch --config app/deno.json app/launch.ts
  zmp launch launch.ts --host h2 --registry etcd://10.0.0.1:2379,10.0.0.2:2379
  zmp launch launch.ts --secure

Exit codes: 0 when every node ended cleanly or was stopped, 1 when a node
failed beyond its restart policy, 2 when the launch file cannot be used.`;

/**
 * Runs `zmp launch` with the arguments after `launch`, until the launch
 * ends.
 *
 * @param args the command-line arguments
 * @returns the exit code: 0, 1 (a node failed) or 2 (bad usage or file)
 */
export function main(args: string[]): Promise<number> {
  return runCommand({ name: "launch", usage: USAGE }, args, async () => {
    const { values, positionals } = parse(args, {
      config: { type: "string" },
      "no-check": { type: "boolean" },
      registry: { type: "string" },
      host: { type: "string" },
      params: { type: "string" },
      "no-params": { type: "boolean" },
      secure: { type: "boolean" },
      keys: { type: "string" },
      "metrics-port": { type: "string" },
    });
    if (values.keys === "") throw new UsageError("--keys is empty");
    const port = values["metrics-port"];
    if (port !== undefined && !(/^\d+$/.test(port) && Number(port) <= 65535)) {
      throw new UsageError(
        `--metrics-port must be a port number (0 to 65535), got ${
          JSON.stringify(port)
        }`,
      );
    }
    if (values.params !== undefined && values["no-params"]) {
      throw new UsageError("--params and --no-params cannot go together");
    }
    if (values.params === "") throw new UsageError("--params is empty");
    if (positionals.length !== 1) {
      throw new UsageError(
        `expected one launch file, got ${positionals.length}`,
      );
    }
    if (values.config === "") throw new UsageError("--config is empty");
    const file = launchError(() => resolveLaunchFile(positionals[0]));
    const project = projectOf(file, values.config);
    if (
      project !== undefined &&
      !runsWithConfig(project.file, findProjectConfig(Deno.cwd())?.file)
    ) {
      await checkProject(project.file);
      return await rerun({ config: project.file }, ["launch", ...args]);
    }
    return await run(file, project?.file, values);
  });
}

/**
 * The Prometheus endpoint of `--metrics-port`: every process of the
 * launch, asked through its registry at each scrape.
 */
async function serveLaunchMetrics(
  endpoint: string,
  port: number,
): Promise<AsyncDisposable> {
  const { connectRegistry } = await import("../registry/client.ts");
  const { servePrometheus } = await import("../observe/prometheus.ts");
  const registry = await connectRegistry({
    endpoint,
    logger: { warn() {}, error() {} },
  });
  let server;
  try {
    server = servePrometheus({
      port,
      nodes: () => registry.nodes(),
      registry: endpoint,
    });
  } catch (e) {
    await registry.close();
    throw e;
  }
  console.log(`metrics │ Prometheus text at ${server.url}`);
  return {
    async [Symbol.asyncDispose]() {
      await server.close();
      await registry.close();
    },
  };
}

/** Refuses a configuration under which zmp's own modules cannot load. */
async function checkProject(config: string): Promise<void> {
  let reaches: boolean;
  try {
    Deno.statSync(config);
    reaches = await reachesZmp(config);
  } catch (e) {
    throw new CliError(
      `Cannot launch: cannot read ${config}: ${(e as Error).message}`,
      { code: 2, cause: e },
    );
  }
  if (!reaches) {
    throw new CliError(
      `Cannot launch: ${config} does not map zmp: add "imports": { "zmp": "${ZMP_ROOT}/mod.ts" } to it (or run zmp init)`,
      { code: 2 },
    );
  }
}

function launchError<T>(body: () => T): T {
  try {
    return body();
  } catch (e) {
    if (e instanceof LaunchError) {
      throw new CliError(e.message, { code: 2, cause: e });
    }
    throw e;
  }
}

/**
 * The spec with its embedded registry at `ZMP_REGISTRY` when the file names
 * no endpoint: the launch then listens where every other `zmp` command
 * looks. An `etcd://` `ZMP_REGISTRY` is the registry itself, as
 * `--registry` would say (see {@linkcode envRegistry}).
 */
function withEnvRegistry(spec: LaunchDefinition): LaunchDefinition {
  const endpoint = readEnv("ZMP_REGISTRY");
  const registry = spec.registry;
  if (endpoint === undefined || isEtcdEndpoint(endpoint)) return spec;
  if (
    registry !== undefined &&
    ("external" in registry || "etcd" in registry || registry.endpoint)
  ) {
    return spec;
  }
  return { ...spec, registry: { ...registry, endpoint } };
}

/**
 * The registry that `--registry`, else an `etcd://` `ZMP_REGISTRY` (when
 * the file names no registry of its own), says to use instead of starting
 * one.
 */
function envRegistry(
  spec: LaunchDefinition,
  option: string | undefined,
): string | undefined {
  if (option !== undefined) return option;
  const endpoint = readEnv("ZMP_REGISTRY");
  if (endpoint === undefined || !isEtcdEndpoint(endpoint)) return undefined;
  const own = spec.registry !== undefined &&
    ("external" in spec.registry || "etcd" in spec.registry ||
      spec.registry.endpoint !== undefined);
  return own ? undefined : endpoint;
}

/**
 * Where `zmp launch` keeps params: the options, else the spec's
 * `paramsFile`, else beside the launch file.
 */
function paramsFileOf(
  values: { params?: string; "no-params"?: boolean },
  spec: LaunchDefinition,
  url: string,
): string | false | undefined {
  if (values["no-params"]) return false;
  if (values.params !== undefined) return values.params;
  const own = spec.registry !== undefined && "paramsFile" in spec.registry &&
    spec.registry.paramsFile !== undefined;
  return own ? undefined : defaultParamsFile(url);
}

/**
 * The params file of a launch file: its name with `.params.json`, beside
 * it (`apps/launch.ts` → `apps/launch.params.json`).
 *
 * @param url the launch file's URL
 * @returns the path, or `undefined` for a launch file that is not local
 */
export function defaultParamsFile(url: string): string | undefined {
  const u = new URL(url);
  if (u.protocol !== "file:") return undefined;
  const path = decodeURIComponent(u.pathname);
  return path.replace(/\.[cm]?[jt]sx?$/, "") + ".params.json";
}

interface RunValues {
  "no-check"?: boolean;
  registry?: string;
  host?: string;
  params?: string;
  "no-params"?: boolean;
  secure?: boolean;
  keys?: string;
  "metrics-port"?: string;
}

async function run(
  file: string,
  config: string | undefined,
  values: RunValues,
): Promise<number> {
  const check = values["no-check"] !== true;
  const controller = new AbortController();
  let running: RunningLaunch | undefined;
  let signals = 0;
  const onSignal = () => {
    signals++;
    if (signals === 1) controller.abort();
    else void running?.kill();
  };
  const names: Deno.Signal[] = Deno.build.os === "windows"
    ? ["SIGINT"]
    : ["SIGINT", "SIGTERM", "SIGHUP"];
  for (const s of names) Deno.addSignalListener(s, onSignal);
  try {
    let loaded;
    try {
      // Loaded here, not at the top: a zmp launch that runs itself again
      // under the project's configuration never loads the launcher twice.
      const { loadLaunchFile } = await import("../launch/load.ts");
      const { startLaunch } = await import("../launch/launcher.ts");
      loaded = await loadLaunchFile(file, { check, config });
      running = await startLaunch(withEnvRegistry(loaded.spec), {
        file: loaded.url,
        config,
        signal: controller.signal,
        registry: envRegistry(loaded.spec, values.registry),
        host: values.host,
        paramsFile: paramsFileOf(values, loaded.spec, loaded.url),
        secure: values.secure,
        keys: values.keys === undefined ? undefined : resolve(values.keys),
      });
    } catch (e) {
      return launchError(() => {
        throw e;
      });
    }
    const port = values["metrics-port"];
    let metrics;
    try {
      metrics = port === undefined
        ? undefined
        : await serveLaunchMetrics(running.registry, Number(port));
    } catch (e) {
      await running.stop();
      if (e instanceof Deno.errors.AddrInUse) {
        throw new CliError(`--metrics-port ${port}: ${e.message}`);
      }
      throw e;
    }
    try {
      const result = await running.done;
      return result.code;
    } finally {
      await metrics?.[Symbol.asyncDispose]();
    }
  } finally {
    for (const s of names) Deno.removeSignalListener(s, onSignal);
  }
}
