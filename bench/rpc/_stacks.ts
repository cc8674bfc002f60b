/**
 * The stacks `deno task bench:rpc` compares, and how each is started: the
 * raw zmp transport, zmp RPC with each codec (on the engine measured, and
 * the raw echo and msgpack again on the other engine), Node.js
 * `@grpc/grpc-js`, and `Deno.serve` + `fetch`. Each stack is a server
 * process and a client process; the commands come from here, the driver
 * runs them.
 *
 * @module
 */

import { capture, type Command } from "../zmq/_process.ts";
import type { EngineName } from "../../mod.ts";

/**
 * The stacks, in run order, as `--only` names them. `raw_other` and
 * `msgpack_other` are `raw` and `msgpack` on the other zmp engine.
 */
export const STACKS = [
  "raw",
  "raw_frames",
  "msgpack",
  "observed",
  "msgpack_curve",
  "superjson",
  "raw_other",
  "msgpack_other",
  "grpc",
  "http",
] as const;
/** One stack. */
export type StackName = typeof STACKS[number];

/** The `@grpc/grpc-js` version installed into `bench/.work/`. */
export const GRPC_VERSION = "1.14.7";

/** A stack ready to run. */
export interface Stack {
  /** Its name. */
  name: StackName;
  /** For people, e.g. `zmp RPC, msgpack`. */
  label: string;
  /** What runs the peers, e.g. `deno 2.9.6`. */
  runtime: string;
  /** The server's command line. */
  server: Command;
  /** The client's command line for the server's endpoint and a plan. */
  client(endpoint: string, plan: string): Command;
}

/** Why a stack cannot run. */
export interface SkippedStack {
  /** Its name. */
  name: StackName;
  /** The reason. */
  skipped: string;
}

const here = new URL(".", import.meta.url);
const path = (rel: string) => decodeURIComponent(new URL(rel, here).pathname);

/** `bench/.work/`: npm installs (gitignored). */
export const WORK_DIR = path("../.work/");

/** Loopback, for every server. */
const HOST = "127.0.0.1";

function deno(
  script: string,
  args: string[],
  env?: Record<string, string>,
): Command {
  return {
    cmd: Deno.execPath(),
    args: ["run", "--allow-all", "--quiet", path(script), ...args],
    ...(env === undefined ? {} : { env }),
  };
}

/**
 * The Deno stacks: raw transport, zmp with each codec, HTTP.
 *
 * @param rawSize bytes per raw echo (the msgpack-encoded arguments)
 * @param engine the zmp engine measured (`ZMP_ENGINE` of its peers)
 * @param other the other zmp engine, for `raw_other` and `msgpack_other`
 * @param curveKeys the `msgpack_curve` stack's throwaway keys, as JSON
 *   `{server, client}` key pairs (made for this run, never a system's)
 * @returns the stacks
 */
export function denoStacks(
  rawSize: number,
  engine: EngineName,
  other: EngineName,
  curveKeys: string,
): Stack[] {
  const runtime = `deno ${Deno.version.deno}`;
  const curveEnv = { ZMP_ENGINE: engine, ZMP_BENCH_CURVE: curveKeys };
  const curve: Stack = {
    name: "msgpack_curve",
    label: `zmp RPC, msgpack, CURVE (${engine})`,
    runtime,
    server: deno("zmp_peer.ts", ["server", `tcp://${HOST}:*`], curveEnv),
    client: (endpoint, plan) =>
      deno("zmp_peer.ts", ["client", endpoint, "msgpack", plan], curveEnv),
  };
  const zmp = (
    codec: "msgpack" | "superjson",
    on: EngineName,
    name: StackName,
    observed = false,
  ): Stack => {
    const env = { ZMP_ENGINE: on };
    const extra = observed ? ["observed"] : [];
    return {
      name,
      label: `zmp RPC, ${codec}${observed ? ", node metrics on" : ""} (${on})`,
      runtime,
      server: deno("zmp_peer.ts", ["server", `tcp://${HOST}:*`, ...extra], env),
      client: (endpoint, plan) =>
        deno("zmp_peer.ts", ["client", endpoint, codec, plan, ...extra], env),
    };
  };
  const raw = (
    layout: "single" | "rpc",
    on: EngineName,
    name: StackName,
  ): Stack => {
    const env = { ZMP_ENGINE: on };
    return {
      name,
      label: layout === "single"
        ? `raw zmp DEALER/ROUTER echo, ${rawSize} B (${on})`
        : `raw echo in zmp's frame layout (${on})`,
      runtime,
      server: deno("raw_peer.ts", ["server", `tcp://${HOST}:*`, layout], env),
      client: (endpoint, plan) =>
        deno("raw_peer.ts", [
          "client",
          endpoint,
          String(rawSize),
          plan,
          layout,
        ], env),
    };
  };
  return [
    raw("single", engine, "raw"),
    raw("rpc", engine, "raw_frames"),
    zmp("msgpack", engine, "msgpack"),
    zmp("msgpack", engine, "observed", true),
    curve,
    zmp("superjson", engine, "superjson"),
    raw("single", other, "raw_other"),
    zmp("msgpack", other, "msgpack_other"),
    {
      name: "http",
      label: "Deno.serve + fetch, JSON",
      runtime,
      server: deno("http_peer.ts", ["server", HOST]),
      client: (url, plan) => deno("http_peer.ts", ["client", url, plan]),
    },
  ];
}

async function installedGrpc(): Promise<string | undefined> {
  try {
    const pkg = JSON.parse(
      await Deno.readTextFile(
        `${WORK_DIR}node_modules/@grpc/grpc-js/package.json`,
      ),
    );
    return pkg.version;
  } catch {
    return undefined;
  }
}

/**
 * The gRPC stack: installs `@grpc/grpc-js` into `bench/.work/` with npm
 * when it is missing, then runs both peers with Node.
 *
 * @param log where progress goes
 * @returns the stack, or why it cannot run
 */
export async function grpcStack(
  log: (line: string) => void,
): Promise<Stack | SkippedStack> {
  const node = await capture({ cmd: "node", args: ["--version"] });
  if (!node.success) return { name: "grpc", skipped: "node is not installed" };
  if ((await installedGrpc()) !== GRPC_VERSION) {
    log(`installing @grpc/grpc-js@${GRPC_VERSION} into bench/.work with npm`);
    await Deno.mkdir(WORK_DIR, { recursive: true });
    const npm = await capture({
      cmd: "npm",
      args: [
        "install",
        "--prefix",
        WORK_DIR,
        `@grpc/grpc-js@${GRPC_VERSION}`,
        "--no-audit",
        "--no-fund",
        "--loglevel=error",
      ],
    });
    if (!npm.success || (await installedGrpc()) !== GRPC_VERSION) {
      return {
        name: "grpc",
        skipped: `npm install failed: ${npm.stderr.trim().slice(-500)}`,
      };
    }
  }
  const peer = (args: string[]): Command => ({
    cmd: "node",
    args: [path("grpc_peer.mjs"), ...args],
  });
  return {
    name: "grpc",
    label: "Node grpc-js, JSON",
    runtime: `node ${node.stdout.trim()} + @grpc/grpc-js@${GRPC_VERSION}`,
    server: peer(["server", HOST]),
    client: (target, plan) => peer(["client", target, plan]),
  };
}
