/**
 * The three stacks under test and how each is prepared: zmp (Deno + FFI),
 * Node.js + the npm `zeromq` package, and a C reference built here.
 *
 * Fairness: all three load the same libzmq when possible, the one inside
 * the npm `zeromq` addon (4.3.5). zmp gets it through `ZMP_LIBZMQ` and the C
 * peer links against the addon file directly, with stubs for the Node-API
 * and libuv symbols that the addon imports but libzmq never calls.
 *
 * @module
 */

import { capture, type Command } from "./_process.ts";

/**
 * The stack names as they appear in `--only` and in the JSON: zmp on each
 * engine, Node + zeromq.js, C, and plain Deno TCP (the floor).
 */
export const STACKS = [
  "zmp_zmtp",
  "zmp",
  "zmp_zmtp_curve",
  "zmp_curve",
  "node_zeromq",
  "c",
  "deno_tcp",
] as const;
/** One stack name. */
export type StackName = typeof STACKS[number];

/** Short names accepted by `--only`. */
export const STACK_ALIASES: Record<string, StackName> = {
  zmp: "zmp",
  libzmq: "zmp",
  zmp_libzmq: "zmp",
  zmtp: "zmp_zmtp",
  zmp_zmtp: "zmp_zmtp",
  zmtp_curve: "zmp_zmtp_curve",
  zmp_zmtp_curve: "zmp_zmtp_curve",
  libzmq_curve: "zmp_curve",
  zmp_curve: "zmp_curve",
  tcp: "deno_tcp",
  deno_tcp: "deno_tcp",
  floor: "deno_tcp",
  node: "node_zeromq",
  node_zeromq: "node_zeromq",
  zeromq: "node_zeromq",
  c: "c",
};

/** A stack ready to run: how to start its server and its client. */
export interface PreparedStack {
  /** The stack. */
  name: StackName;
  /** The runtime, e.g. `deno 2.9.6`. */
  runtime: string;
  /** Server command line for an endpoint. */
  server(endpoint: string): Command;
  /** Client command line for an endpoint and the plan arguments. */
  client(endpoint: string, plan: string[]): Command;
  /** How the libzmq was chosen, for the report. */
  libzmqNote: string;
}

/** Why a stack cannot run here. */
export interface SkippedStack {
  /** The stack. */
  name: StackName;
  /** The reason, for the report. */
  skipped: string;
}

/** The npm `zeromq` version the issue asks to compare against. */
export const NODE_ZEROMQ_VERSION = "6.8.0";

const here = new URL(".", import.meta.url);
const path = (rel: string, base: URL = here) =>
  decodeURIComponent(new URL(rel, base).pathname);

/** `bench/.work/`: npm install and C build output (gitignored). */
export const WORK_DIR = path("../.work/");

/** Where the Node side's libzmq lives, once the probe has found it. */
export interface NodeProbe {
  /** The addon file that carries libzmq. */
  addon: string;
  /** libzmq version, e.g. `4.3.5`. */
  version: string;
  /** `node --version`. */
  node: string;
}

async function installedZeromq(): Promise<string | undefined> {
  try {
    const pkg = JSON.parse(
      await Deno.readTextFile(`${WORK_DIR}node_modules/zeromq/package.json`),
    );
    return pkg.version;
  } catch {
    return undefined;
  }
}

/**
 * Installs `zeromq@6.8.0` into `bench/.work/` when missing, then loads it
 * once in Node to learn which addon (and so which libzmq) it uses. The
 * install runs without lifecycle scripts being needed: the package ships
 * prebuilt addons, and the probe proves that one loads.
 *
 * @param log where progress goes
 * @returns the probe, or the reason Node cannot run
 */
export async function probeNode(
  log: (line: string) => void,
): Promise<NodeProbe | { error: string }> {
  const version = await capture({ cmd: "node", args: ["--version"] });
  if (!version.success) return { error: "node is not installed" };
  if ((await installedZeromq()) !== NODE_ZEROMQ_VERSION) {
    log(`installing zeromq@${NODE_ZEROMQ_VERSION} into bench/.work with npm`);
    await Deno.mkdir(WORK_DIR, { recursive: true });
    const npm = await capture({
      cmd: "npm",
      args: [
        "install",
        "--prefix",
        WORK_DIR,
        `zeromq@${NODE_ZEROMQ_VERSION}`,
        "--no-audit",
        "--no-fund",
        "--loglevel=error",
      ],
    });
    if (!npm.success) {
      return { error: `npm install failed: ${npm.stderr.trim().slice(-500)}` };
    }
  }
  const probe = await capture({
    cmd: "node",
    args: [path("node_peer.mjs"), "probe"],
  });
  if (!probe.success) {
    return {
      error: `zeromq does not load in Node: ${probe.stderr.trim().slice(-500)}`,
    };
  }
  const out = JSON.parse(probe.stdout.trim().split("\n").pop()!);
  return {
    addon: out.libzmq.path,
    version: out.libzmq.version,
    node: out.node,
  };
}

/** Key pairs for the CURVE stacks: the server's and the client's. */
export interface BenchKeys {
  server: { publicKey: string; secretKey: string };
  client: { publicKey: string; secretKey: string };
}

/**
 * A zmp stack: each peer is a Deno process running `zmp_peer.ts` on one
 * engine (`ZMP_ENGINE`), with CURVE when given keys (`ZMP_BENCH_CURVE`).
 *
 * @param probe the Node side's libzmq, to load the same one
 * @param module another copy of zmp's `src/zmq/mod.ts` to benchmark instead
 * @param engine `libzmq` (stack `zmp`) or `zmtp` (stack `zmp_zmtp`)
 * @param curve keys for both peers: the `*_curve` stacks
 * @returns the prepared stack
 */
export function zmpStack(
  probe: NodeProbe | undefined,
  module?: string,
  engine: "libzmq" | "zmtp" = "libzmq",
  curve?: BenchKeys,
): PreparedStack {
  const env: Record<string, string> = { ZMP_ENGINE: engine };
  if (curve !== undefined) env.ZMP_BENCH_CURVE = JSON.stringify(curve);
  if (module !== undefined) {
    env.ZMP_BENCH_MODULE = new URL(module, `file://${Deno.cwd()}/`).href;
  }
  let libzmqNote: string;
  if (Deno.env.get("ZMP_LIBZMQ")) {
    libzmqNote = "ZMP_LIBZMQ from the environment";
  } else if (probe !== undefined) {
    env.ZMP_LIBZMQ = probe.addon;
    libzmqNote = "ZMP_LIBZMQ set to the addon Node loads";
  } else {
    libzmqNote = "zmp's default loader (Node's libzmq unknown)";
  }
  const peer = (args: string[]): Command => ({
    cmd: Deno.execPath(),
    args: ["run", "--allow-all", "--quiet", path("zmp_peer.ts"), ...args],
    env,
  });
  const plain = engine === "zmtp" ? "zmp_zmtp" : "zmp";
  return {
    name: curve === undefined ? plain : `${plain}_curve`,
    runtime: `deno ${Deno.version.deno}`,
    server: (endpoint) => peer(["server", endpoint]),
    client: (endpoint, plan) => peer(["client", endpoint, ...plan]),
    libzmqNote: engine === "zmtp"
      ? "none: ZMTP in TypeScript on Deno's sockets"
      : libzmqNote,
  };
}

/**
 * The floor: plain Deno sockets with length-prefixed messages
 * (`tcp_peer.ts`), under the same loops.
 *
 * @returns the prepared stack
 */
export function denoTcpStack(): PreparedStack {
  const peer = (args: string[]): Command => ({
    cmd: Deno.execPath(),
    args: ["run", "--allow-all", "--quiet", path("tcp_peer.ts"), ...args],
  });
  return {
    name: "deno_tcp",
    runtime: `deno ${Deno.version.deno}`,
    server: (endpoint) => peer(["server", endpoint]),
    client: (endpoint, plan) => peer(["client", endpoint, ...plan]),
    libzmqNote: "none",
  };
}

/**
 * The Node stack: each peer is a Node process running `node_peer.mjs`.
 *
 * @param probe what `probeNode` found
 * @returns the prepared stack
 */
export function nodeStack(probe: NodeProbe): PreparedStack {
  const peer = (args: string[]): Command => ({
    cmd: "node",
    args: [path("node_peer.mjs"), ...args],
  });
  return {
    name: "node_zeromq",
    runtime: `node ${probe.node} + zeromq@${NODE_ZEROMQ_VERSION}`,
    server: (endpoint) => peer(["server", endpoint]),
    client: (endpoint, plan) => peer(["client", endpoint, ...plan]),
    libzmqNote: "the prebuilt addon of the npm zeromq package",
  };
}

async function cCompiler(): Promise<string | undefined> {
  for (const cc of [Deno.env.get("CC"), "cc", "gcc", "clang"]) {
    if (cc && (await capture({ cmd: cc, args: ["--version"] })).success) {
      return cc;
    }
  }
  return undefined;
}

/** Stubs for the Node-API and libuv imports of the addon (never called). */
async function addonStubs(addon: string): Promise<string | undefined> {
  const nm = await capture({
    cmd: "nm",
    args: ["-D", "--undefined-only", addon],
  });
  if (!nm.success) return undefined;
  const names = nm.stdout.split("\n")
    .map((l) => l.trim().split(/\s+/).pop() ?? "")
    .filter((n) => /^(napi_|uv_)\w+$/.test(n));
  const file = `${WORK_DIR}c/addon_stubs.c`;
  await Deno.writeTextFile(
    file,
    "/* Generated by bench/zmq/_stacks.ts: the addon's Node-API and libuv\n" +
      " * imports, which its libzmq part never calls. */\n" +
      "#include <stdlib.h>\n" +
      names.map((n) => `void ${n}(void) { abort(); }\n`).join(""),
  );
  return file;
}

/**
 * Builds the C reference peer into `bench/.work/c/` when a compiler and
 * the libzmq headers are present. Links against Node's libzmq (the addon)
 * when it can, else against the system libzmq.
 *
 * @param probe the Node side's libzmq, to link the same one
 * @param log where progress goes
 * @returns the prepared stack, or why it is skipped
 */
export async function cStack(
  probe: NodeProbe | undefined,
  log: (line: string) => void,
): Promise<PreparedStack | SkippedStack> {
  const cc = await cCompiler();
  if (cc === undefined) {
    return { name: "c", skipped: "no C compiler (cc, gcc or clang) found" };
  }
  const header = await capture({
    cmd: "sh",
    args: ["-c", `echo '#include <zmq.h>' | ${cc} -E -x c - >/dev/null`],
  });
  if (!header.success && !(await installHeaders(log))) {
    return {
      name: "c",
      skipped:
        "no libzmq headers, and installing Debian's libzmq3-dev failed (run as root: apt-get install libzmq3-dev)",
    };
  }
  await Deno.mkdir(`${WORK_DIR}c`, { recursive: true });
  const source = path("c/peer.c");
  const binary = `${WORK_DIR}c/peer`;
  const common = ["-O2", "-o", binary, source];
  const errors: string[] = [];
  let libzmqNote = "";
  if (probe !== undefined) {
    const stubs = await addonStubs(probe.addon);
    if (stubs !== undefined) {
      const dir = probe.addon.slice(0, probe.addon.lastIndexOf("/"));
      const build = await capture({
        cmd: cc,
        args: [
          ...common,
          stubs,
          probe.addon,
          "-rdynamic",
          `-Wl,-rpath,${dir}`,
          "-ldl",
        ],
      });
      if (build.success) libzmqNote = "linked against the addon Node loads";
      else errors.push(build.stderr.trim().slice(-300));
    }
  }
  if (libzmqNote === "") {
    const build = await capture({
      cmd: cc,
      args: [...common, "-lzmq", "-ldl"],
    });
    if (!build.success) {
      errors.push(build.stderr.trim().slice(-300));
      return { name: "c", skipped: `C build failed: ${errors.join("\n")}` };
    }
    libzmqNote = "linked against the system libzmq";
  }
  log(`built the C peer (${libzmqNote})`);
  const peer = (args: string[]): Command => ({ cmd: binary, args });
  return {
    name: "c",
    runtime: cc,
    server: (endpoint) => peer(["server", endpoint]),
    client: (endpoint, plan) => peer(["client", endpoint, ...plan]),
    libzmqNote,
  };
}

/**
 * Installs Debian's `libzmq3-dev` (the headers the C peer needs) with
 * apt-get, when running as root on a machine that has it.
 *
 * @returns whether the install succeeded
 */
async function installHeaders(log: (line: string) => void): Promise<boolean> {
  if (Deno.uid() !== 0) return false;
  log("installing libzmq3-dev (apt-get) for the C peer");
  const r = await capture({
    cmd: "timeout",
    args: [
      "300",
      "sh",
      "-c",
      "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libzmq3-dev",
    ],
  });
  if (!r.success) log(`apt-get failed: ${r.stderr.trim().slice(-300)}`);
  return r.success;
}
