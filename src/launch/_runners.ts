/**
 * One run of a node in each mode, behind one interface: a subprocess
 * (`Deno.Command`), a Worker, or in the launcher's own process.
 *
 * @module
 */

import type { ResolvedNode } from "./_validate.ts";
import { type LaunchLogger, readLines } from "./logger.ts";
import { mergePermissions, permissionFlags, zmpNeeds } from "./_permissions.ts";
import type { ProjectConfig } from "./_project.ts";
import { registryPermissions } from "../registry/network.ts";
import { readEnv } from "../_util/env.ts";
import { join } from "node:path";
import { runNode, spawnWorkerNode } from "../node/mod.ts";
import type { EngineName } from "../zmq/mod.ts";
import type { NodeSecurity } from "../node/_security.ts";

/** A node running once: started, and later ended. */
export interface NodeRun {
  /** The OS process id (the launcher's own for worker and in-process nodes). */
  readonly pid: number;
  /** The exit code; a signal `n` gives `128 + n`. Never rejects. */
  readonly exited: Promise<number>;
  /**
   * Asks the node to stop: the end of its standard input (subprocess), the
   * stop message (worker), an abort (in-process).
   */
  stop(): void;
  /**
   * Asks again, by the means every process understands, once the grace
   * period is over: SIGTERM (subprocess only).
   */
  terminate?(): void;
  /** Ends it now: SIGKILL, or `Worker.terminate()`. */
  kill(): void;
}

/** What every run needs besides the node. */
export interface RunContext {
  /** The registry endpoint the node registers with. */
  registry: string;
  /**
   * The host the launch runs as (`--host`), reported by subprocess nodes
   * as theirs.
   */
  host?: string;
  /** The address subprocess nodes advertise (`ZMP_ADVERTISE_HOST`). */
  advertise?: string;
  /** Where output goes. */
  logger: LaunchLogger;
  /** The libzmq the launcher loaded, handed to subprocesses (libzmq engine). */
  libzmqPath?: string;
  /**
   * The project whose configuration subprocess nodes run with (`--config`).
   * @default {none: Deno finds one from the working folder}
   */
  project?: ProjectConfig;
  /**
   * The node's registration token: on the first line of a subprocess's
   * standard input (never argv or the environment), in the start message
   * of a Worker, an option of an in-process node.
   * @default {none: the registry makes one per run}
   */
  registryToken?: string;
  /**
   * Secure mode: the node's keys. A subprocess reads them from its standard
   * input, the line after the token (never argv or the environment).
   */
  security?: NodeSecurity;
}

/** The entry point a subprocess node runs. */
export const SUBPROCESS_MAIN = new URL(
  "../node/subprocess_main.ts",
  import.meta.url,
).href;
const MAX_TIMER_MS = 2 ** 31 - 1;
/** How long output is still read after a subprocess exited, in ms. */
const OUTPUT_LINGER_MS = 1000;

const SIGNALS: Record<string, number> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGABRT: 6,
  SIGKILL: 9,
  SIGSEGV: 11,
  SIGPIPE: 13,
  SIGALRM: 14,
  SIGTERM: 15,
};

/**
 * The ZeroMQ engine a subprocess node runs on: the TypeScript ZMTP engine,
 * which needs no FFI, unless the node opted into libzmq with `unsafeFfi`.
 *
 * @param node the node
 * @returns its engine
 */
export function nodeEngine(node: ResolvedNode): EngineName {
  return node.unsafeFfi ? "libzmq" : "zmtp";
}

/**
 * The `deno` arguments that run `node` as a subprocess: the project's
 * configuration (import map, `nodeModulesDir`, lock file), the node's
 * permissions (with what its registry backend needs: etcd takes network
 * and more), zmp's entry, the module and its arguments.
 *
 * @param node the node
 * @param options the project it runs in, its registry endpoint
 * @returns the arguments after `deno`
 */
export function subprocessArgs(
  node: ResolvedNode,
  options: {
    project?: ProjectConfig;
    registry?: string;
    env?: Record<string, string>;
  } = {},
): string[] {
  const needs = zmpNeeds(node.moduleUrl, {
    env: Object.keys(node.env),
    project: options.project,
    engine: nodeEngine(node),
  });
  const backend = options.registry === undefined
    ? {}
    : registryPermissions(options.registry, {
      ...options.env,
      ...node.env,
    });
  return [
    "run",
    ...(options.project ? ["--config", options.project.file] : []),
    ...permissionFlags(node.permissions, mergePermissions(needs, backend)),
    SUBPROCESS_MAIN,
    node.moduleUrl,
    ...node.args,
  ];
}

/**
 * A node's own etcd client certificate: with `ZMP_ETCD_CERTS=<dir>` and
 * an `etcds://` registry, `<dir>/<name>.crt` and `<dir>/<name>.key` (a `/`
 * in the name written `%2F`), when both exist, as the node's
 * `ZMP_ETCD_CERT` and `ZMP_ETCD_KEY`: its common name is the node's etcd
 * user under RBAC (`setupEtcdAuth`).
 *
 * @param name the node's name
 * @param registry the registry endpoint
 * @returns the variables to set, or none
 */
export function etcdCertEnv(
  name: string,
  registry: string | undefined,
): Record<string, string> {
  const dir = readEnv("ZMP_ETCD_CERTS");
  if (dir === undefined || !registry?.startsWith("etcds://")) return {};
  const base = join(dir, name.replaceAll("/", "%2F"));
  const exists = (path: string) => {
    try {
      return Deno.statSync(path).isFile;
    } catch {
      return false;
    }
  };
  return exists(`${base}.crt`) && exists(`${base}.key`)
    ? { ZMP_ETCD_CERT: `${base}.crt`, ZMP_ETCD_KEY: `${base}.key` }
    : {};
}

function startSubprocess(node: ResolvedNode, ctx: RunContext): NodeRun {
  const certs = etcdCertEnv(node.name, ctx.registry);
  const child = new Deno.Command(Deno.execPath(), {
    args: subprocessArgs(node, {
      project: ctx.project,
      registry: ctx.registry,
      env: certs,
    }),
    env: {
      ...certs,
      ...(ctx.advertise === undefined
        ? {}
        : { ZMP_ADVERTISE_HOST: ctx.advertise }),
      ...(ctx.host === undefined ? {} : { ZMP_HOST: ctx.host }),
      ...node.env,
      ...(ctx.libzmqPath === undefined || !node.unsafeFfi
        ? {}
        : { ZMP_LIBZMQ: ctx.libzmqPath }),
      ZMP_ENGINE: nodeEngine(node),
      ZMP_NODE_NAME: node.name,
      ZMP_REGISTRY: ctx.registry,
      ZMP_RUN_MODE: "subprocess",
      ...(ctx.registryToken === undefined ? {} : { ZMP_STDIN_TOKEN: "1" }),
      // Only says that the keys follow on standard input.
      ...(ctx.security === undefined ? {} : { ZMP_SECURE: "1" }),
      // Not a zmp command that zmp launch started again.
      ZMP_CLI_CONFIG: "",
      DENO_NO_UPDATE_CHECK: "1",
    },
    // Written once (the token, then in secure mode the keys), then held
    // open: its end is the stop request. A node sees it whenever it gets to
    // reading, so a stop that comes while Deno is still loading the node
    // waits for it, where a SIGTERM would kill it (exit code 143). When
    // the launcher dies, even by SIGKILL, the pipe ends too and the node
    // stops: no node outlives the launcher.
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    // A session of its own: Ctrl-C in a terminal signals the launcher's
    // process group, not the nodes, which the launcher then stops one by
    // one in reverse order.
    detached: true,
  }).spawn();
  const lines = [
    ...(ctx.registryToken === undefined ? [] : [ctx.registryToken]),
    ...(ctx.security === undefined ? [] : [JSON.stringify(ctx.security)]),
  ];
  const input = child.stdin.getWriter();
  const written = lines.length === 0 ? Promise.resolve() : input
    .write(new TextEncoder().encode(lines.map((l) => `${l}\n`).join("")))
    .catch(() => {}); // the node died at once: its exit tells why
  let ended: Promise<void> | undefined;
  // After the start message, never before it: a node stopped while
  // starting still reads its token and keys, then the end.
  const endInput = () =>
    ended ??= written.then(() => input.close()).catch(() => {});
  const output = new AbortController();
  const pumps = Promise.all([
    pump(child.stdout, node.name, "stdout", ctx.logger, output.signal),
    pump(child.stderr, node.name, "stderr", ctx.logger, output.signal),
  ]);
  const exited = child.status.then(async (status) => {
    // The output ends with the process, unless something it started still
    // holds the pipes: then stop reading after a moment.
    const timer = setTimeout(() => output.abort(), OUTPUT_LINGER_MS);
    await pumps;
    clearTimeout(timer);
    await endInput();
    if (status.signal !== null) return 128 + (SIGNALS[status.signal] ?? 0);
    return status.code;
  });
  const signal = (sig: Deno.Signal) => {
    try {
      child.kill(sig);
    } catch {
      // already exited
    }
  };
  return {
    pid: child.pid,
    exited,
    stop: () => void endInput(),
    terminate: () => signal("SIGTERM"),
    kill: () => signal("SIGKILL"),
  };
}

function pump(
  stream: ReadableStream<Uint8Array>,
  name: string,
  which: "stdout" | "stderr",
  logger: LaunchLogger,
  signal: AbortSignal,
): Promise<void> {
  return readLines(stream, (line) => logger.line(name, which, line), {
    signal,
  });
}

function startWorker(node: ResolvedNode, ctx: RunContext): NodeRun {
  const worker = spawnWorkerNode(node.moduleUrl, {
    name: node.name,
    registry: ctx.registry,
    registryToken: ctx.registryToken,
    security: ctx.security,
    args: node.args,
  });
  return {
    pid: Deno.pid,
    exited: worker.exited,
    // The supervisor kills after the grace period: no timeout of its own.
    stop: () => void worker.stop({ timeout: MAX_TIMER_MS }),
    kill: () => worker.terminate(),
  };
}

function startInprocess(
  node: ResolvedNode,
  ctx: RunContext,
): NodeRun {
  const controller = new AbortController();
  let abandon!: (code: number) => void;
  const abandoned = new Promise<number>((resolve) => abandon = resolve);
  const ran = runNode(node.moduleUrl, {
    name: node.name,
    mode: "inprocess",
    args: node.args,
    registry: ctx.registry,
    registryToken: ctx.registryToken,
    signal: controller.signal,
    security: ctx.security,
  }).catch((e: unknown) => {
    ctx.logger.log(
      "error",
      `${node.name} failed: ${e instanceof Error ? e.message : String(e)}`,
    );
    return 1;
  });
  return {
    pid: Deno.pid,
    exited: Promise.race([ran, abandoned]),
    stop: () => controller.abort(),
    // Code in this process cannot be killed: stop waiting for it.
    kill: () => abandon(128 + SIGNALS.SIGKILL),
  };
}

/**
 * Starts one run of `node` in its mode.
 *
 * @param node the node
 * @param ctx the registry, logger and libzmq path
 * @returns the run
 * @throws when the process or worker cannot be created
 */
export function startRun(
  node: ResolvedNode,
  ctx: RunContext,
): NodeRun {
  switch (node.mode) {
    case "subprocess":
      return startSubprocess(node, ctx);
    case "worker":
      return startWorker(node, ctx);
    case "inprocess":
      return startInprocess(node, ctx);
  }
}
