/**
 * The stacks `deno task bench:rpc` compares, and how each is started: the
 * raw zmp transport, zmp RPC with each codec, Node.js `@grpc/grpc-js`, and
 * `Deno.serve` + `fetch`. Each stack is a server process and a client
 * process; the commands come from here, the driver runs them.
 *
 * @module
 */

import { capture, type Command } from "../zmq/_process.ts";

/** The stacks, in run order, as `--only` names them. */
export const STACKS = [
  "raw",
  "raw_frames",
  "msgpack",
  "msgpack_curve",
  "superjson",
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

function deno(script: string, args: string[]): Command {
  return {
    cmd: Deno.execPath(),
    args: ["run", "--allow-all", "--quiet", path(script), ...args],
  };
}

/**
 * The Deno stacks: raw transport, zmp with each codec, HTTP.
 *
 * @param rawSize bytes per raw echo (the msgpack-encoded arguments)
 * @param curveKeys the CURVE stack's throwaway keys, as JSON
 *   `{server, client}` key pairs
 * @returns the stacks
 */
export function denoStacks(
  rawSize: number,
  curveKeys: string,
): Stack[] {
  const runtime = `deno ${Deno.version.deno}`;
  // Throwaway keys made for this run (never a real system's), read by the
  // peers from the environment.
  const curve = (c: Command): Command => ({
    ...c,
    env: { ZMP_BENCH_CURVE: curveKeys },
  });
  const zmp = (codec: "msgpack" | "superjson"): Stack => ({
    name: codec,
    label: `zmp RPC, ${codec}`,
    runtime,
    server: deno("zmp_peer.ts", ["server", `tcp://${HOST}:*`]),
    client: (endpoint, plan) =>
      deno("zmp_peer.ts", ["client", endpoint, codec, plan]),
  });
  const raw = (layout: "single" | "rpc"): Stack => ({
    name: layout === "single" ? "raw" : "raw_frames",
    label: layout === "single"
      ? `raw zmp DEALER/ROUTER echo, ${rawSize} B`
      : "raw echo in zmp's frame layout",
    runtime,
    server: deno("raw_peer.ts", ["server", `tcp://${HOST}:*`, layout]),
    client: (endpoint, plan) =>
      deno("raw_peer.ts", [
        "client",
        endpoint,
        String(rawSize),
        plan,
        layout,
      ]),
  });
  return [
    raw("single"),
    raw("rpc"),
    zmp("msgpack"),
    {
      name: "msgpack_curve",
      label: "zmp RPC, msgpack, CURVE",
      runtime,
      server: curve(deno("zmp_peer.ts", ["server", `tcp://${HOST}:*`])),
      client: (endpoint, plan) =>
        curve(deno("zmp_peer.ts", ["client", endpoint, "msgpack", plan])),
    },
    zmp("superjson"),
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
