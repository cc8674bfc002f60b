/**
 * Several "hosts" on one machine, for real: one network namespace per host,
 * each with a veth pair whose other end is on a bridge that lives in a
 * namespace of its own. Addresses are `10.77.0.<i>/24`, inside the
 * namespaces only: nothing touches the root namespace's interfaces or
 * routes (the veth pairs are created inside the bridge's namespace).
 *
 * Names are `zmpt-<pid>-<random>-…`, so two runs never collide; every
 * namespace is deleted on close, and namespaces left by a run whose
 * process is gone are swept when the next one starts. A host is cut off by
 * setting its link down, and healed by setting it up.
 *
 * Needs root (CAP_NET_ADMIN) and `ip` (iproute2).
 *
 * @module
 */

import { forEachLine } from "../_lines.ts";

/** The subnet of the hosts. */
export const SUBNET = "10.77.0";

/** A process started inside a host. */
export interface HostProcess {
  /** The child. */
  child: Deno.ChildProcess;
  /** Its output so far (stdout and stderr, lines). */
  lines: string[];
}

/** The hosts of a test. */
export class Hosts implements AsyncDisposable {
  /** The namespace of each host, `hosts[0]` is host 1. */
  readonly namespaces: string[];
  readonly #bridge: string;
  readonly #children = new Set<Deno.ChildProcess>();
  #closed = false;

  private constructor(namespaces: string[], bridge: string) {
    this.namespaces = namespaces;
    this.#bridge = bridge;
  }

  /**
   * Creates `count` hosts on one bridge.
   *
   * @param count how many hosts
   * @returns the hosts; close them when done
   * @throws {Error} when a namespace cannot be made (not root, no `ip`)
   */
  static async create(count: number): Promise<Hosts> {
    await sweepStale();
    const tag = `zmpt-${Deno.pid}-${crypto.randomUUID().slice(0, 6)}`;
    const bridge = `${tag}-br`;
    const names = Array.from({ length: count }, (_, i) => `${tag}-h${i + 1}`);
    const hosts = new Hosts(names, bridge);
    try {
      await ip(["netns", "add", bridge]);
      await ip(["-n", bridge, "link", "set", "lo", "up"]);
      await ip(["-n", bridge, "link", "add", "br0", "type", "bridge"]);
      await ip(["-n", bridge, "link", "set", "br0", "up"]);
      for (const [i, ns] of names.entries()) {
        await ip(["netns", "add", ns]);
        await ip([
          "-n",
          bridge,
          "link",
          "add",
          `v${i + 1}`,
          "type",
          "veth",
          "peer",
          "name",
          "eth0",
          "netns",
          ns,
        ]);
        await ip(["-n", bridge, "link", "set", `v${i + 1}`, "master", "br0"]);
        await ip(["-n", bridge, "link", "set", `v${i + 1}`, "up"]);
        await ip(["-n", ns, "addr", "add", `${hosts.ip(i)}/24`, "dev", "eth0"]);
        await ip(["-n", ns, "link", "set", "eth0", "up"]);
        await ip(["-n", ns, "link", "set", "lo", "up"]);
      }
      return hosts;
    } catch (e) {
      await hosts.close();
      throw e;
    }
  }

  /** The address of host `i` (0-based). */
  ip(i: number): string {
    return `${SUBNET}.${i + 1}`;
  }

  /**
   * Starts a command inside host `i`; it is killed (SIGKILL) on close if
   * still running.
   *
   * @param i the host
   * @param cmd the command
   * @param args its arguments
   * @param options environment, stdin
   * @returns the child and its output lines
   */
  spawn(
    i: number,
    cmd: string,
    args: string[],
    options: { env?: Record<string, string>; stdin?: boolean } = {},
  ): HostProcess {
    const child = new Deno.Command("ip", {
      args: ["netns", "exec", this.namespaces[i], cmd, ...args],
      env: options.env,
      stdin: options.stdin ? "piped" : "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#children.add(child);
    child.status.then(() => this.#children.delete(child));
    const lines: string[] = [];
    const read = (stream: ReadableStream<Uint8Array>) =>
      forEachLine(stream, (line) => lines.push(line));
    read(child.stdout).catch(() => {});
    read(child.stderr).catch(() => {});
    return { child, lines };
  }

  /** Cuts host `i` off: its link goes down. */
  async cut(i: number): Promise<void> {
    await ip(["-n", this.namespaces[i], "link", "set", "eth0", "down"]);
  }

  /** Heals host `i`: its link comes back up. */
  async heal(i: number): Promise<void> {
    await ip(["-n", this.namespaces[i], "link", "set", "eth0", "up"]);
  }

  /** Kills what runs in the hosts and deletes every namespace. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const child of this.#children) {
      try {
        child.kill("SIGKILL");
      } catch {
        // gone
      }
    }
    await Promise.all([...this.#children].map((c) => c.status));
    for (const ns of [...this.namespaces, this.#bridge]) {
      await ip(["netns", "del", ns]).catch(() => {});
    }
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** Runs `ip <args>`; throws with its stderr when it fails. */
async function ip(args: string[]): Promise<string> {
  const out = await new Deno.Command("ip", {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(
      `ip ${args.join(" ")} failed: ${
        new TextDecoder().decode(out.stderr).trim()
      }`,
    );
  }
  return new TextDecoder().decode(out.stdout);
}

/** Deletes `zmpt-<pid>-…` namespaces whose process is gone. */
async function sweepStale(): Promise<void> {
  let list: string;
  try {
    list = await ip(["netns", "list"]);
  } catch {
    return;
  }
  for (const line of list.split("\n")) {
    const m = /^(zmpt-(\d+)-\S+)/.exec(line);
    if (m === null) continue;
    const pid = Number(m[2]);
    let alive = false;
    try {
      alive = Deno.statSync(`/proc/${pid}`).isDirectory;
    } catch {
      alive = false;
    }
    if (!alive) await ip(["netns", "del", m[1]]).catch(() => {});
  }
}
