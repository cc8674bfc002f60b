/**
 * Real etcd for tests and benchmarks: Debian's `etcd-server` (3.4), started
 * as one member or as a cluster, on 127.0.0.1 with free ports or inside
 * network namespaces (one member per namespace), with temporary data
 * folders. Members are always stopped: SIGTERM first, then SIGKILL (a
 * member that has lost quorum ignores SIGTERM), and their folders removed.
 *
 * A test that cannot get etcd fails: {@linkcode EtcdCluster.start} throws
 * with the reason (not installed, did not become ready, and its log).
 *
 * @module
 */

import { forEachLine } from "./_lines.ts";

/** The etcd binary: `ZMP_ETCD` when set, else `etcd` on PATH. */
export const ETCD_BINARY: string = Deno.env.get("ZMP_ETCD") || "etcd";

/** Where each member runs. */
export interface EtcdPlacement {
  /** The address it listens on (clients and peers). */
  ip: string;
  /** The network namespace to run it in (`ip netns exec`), if any. */
  netns?: string;
}

/** Options of {@linkcode EtcdCluster.start}. */
export interface EtcdClusterOptions {
  /**
   * How many members, on 127.0.0.1 with free ports.
   * @default {1}
   */
  members?: number;
  /**
   * Members placed explicitly (fixed ports 2379 and 2380 on each address):
   * for network namespaces. Overrides `members`.
   */
  placement?: EtcdPlacement[];
  /**
   * Raft heartbeat and election timeout in ms (etcd's defaults are 100 and
   * 1000; tests use shorter ones so that a lost leader is replaced sooner).
   * @default {{heartbeat: 50, election: 500}}
   */
  timing?: { heartbeat: number; election: number };
  /** How long each member may take to be ready, in ms. @default {20000} */
  readyTimeout?: number;
  /**
   * Serve clients over TLS with these PEM files, and ask every client for
   * a certificate signed by `ca` (`--client-cert-auth`). Peers stay plain.
   */
  tls?: { ca: string; cert: string; key: string };
}

interface Member {
  name: string;
  ip: string;
  netns?: string;
  clientPort: number;
  peerPort: number;
  dataDir: string;
  child?: Deno.ChildProcess;
  log: string[];
  ready?: Promise<void>;
}

/** A running etcd cluster (of one member or more). */
export class EtcdCluster implements AsyncDisposable {
  readonly #members: Member[];
  readonly #root: string;
  readonly #token: string;
  readonly #timing: { heartbeat: number; election: number };
  readonly #readyTimeout: number;
  readonly #tls: EtcdClusterOptions["tls"];
  #closed = false;

  private constructor(
    members: Member[],
    root: string,
    timing: { heartbeat: number; election: number },
    readyTimeout: number,
    tls?: EtcdClusterOptions["tls"],
  ) {
    this.#tls = tls;
    this.#members = members;
    this.#root = root;
    this.#token = `zmp-test-${crypto.randomUUID().slice(0, 8)}`;
    this.#timing = timing;
    this.#readyTimeout = readyTimeout;
  }

  /**
   * Starts the members and waits until each serves clients.
   *
   * @param options members, placement, raft timing
   * @returns the running cluster
   * @throws {Error} when etcd is not installed or a member does not become
   *   ready (the message quotes its log)
   */
  static async start(options: EtcdClusterOptions = {}): Promise<EtcdCluster> {
    const root = await Deno.makeTempDir({ prefix: "zmp-etcd-" });
    const placement: EtcdPlacement[] = options.placement ??
      Array.from({ length: options.members ?? 1 }, () => ({ ip: "127.0.0.1" }));
    const members: Member[] = [];
    for (const [i, p] of placement.entries()) {
      const fixed = options.placement !== undefined;
      members.push({
        name: `m${i}`,
        ip: p.ip,
        netns: p.netns,
        clientPort: fixed ? 2379 : freePort(),
        peerPort: fixed ? 2380 : freePort(),
        dataDir: `${root}/m${i}`,
        log: [],
      });
    }
    const cluster = new EtcdCluster(
      members,
      root,
      options.timing ?? { heartbeat: 50, election: 500 },
      options.readyTimeout ?? 20000,
      options.tls,
    );
    try {
      for (const m of members) cluster.#spawn(m, "new");
      await Promise.all(members.map((m) => m.ready));
      return cluster;
    } catch (e) {
      await cluster.close();
      throw e;
    }
  }

  /** Each member's client address, `ip:port`. */
  get endpoints(): string[] {
    return this.#members.map((m) => `${m.ip}:${m.clientPort}`);
  }

  /**
   * The registry endpoint of the cluster: `etcd://ip:port,ip:port`, or
   * `etcds://localhost:port` with TLS (the test certificates name
   * `localhost`).
   */
  get url(): string {
    return this.#tls === undefined
      ? `etcd://${this.endpoints.join(",")}`
      : `etcds://${
        this.endpoints.map((e) => e.replace(/^127\.0\.0\.1:/, "localhost:"))
          .join(",")
      }`;
  }

  /** How many members. */
  get size(): number {
    return this.#members.length;
  }

  /** The log lines of member `i` so far (the last 400). */
  log(i: number): string[] {
    return this.#members[i].log;
  }

  /** Whether member `i` runs. */
  running(i: number): boolean {
    return this.#members[i].child !== undefined;
  }

  /**
   * Kills member `i` with SIGKILL and reaps it; its data stays.
   *
   * @param i the member
   */
  async kill(i: number): Promise<void> {
    await stopChild(this.#members[i], "SIGKILL");
  }

  /**
   * Starts member `i` again on its ports and data, and waits until it
   * serves clients.
   *
   * @param i the member
   */
  async restart(i: number): Promise<void> {
    const m = this.#members[i];
    if (m.child !== undefined) await stopChild(m, "SIGKILL");
    this.#spawn(m, "existing");
    await m.ready;
  }

  /** Stops every member (SIGTERM, then SIGKILL) and removes the data. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all(this.#members.map((m) => stopChild(m, "SIGTERM")));
    await Deno.remove(this.#root, { recursive: true }).catch(() => {});
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #spawn(m: Member, state: "new" | "existing"): void {
    const initial = this.#members.map((o) =>
      `${o.name}=http://${o.ip}:${o.peerPort}`
    ).join(",");
    const scheme = this.#tls === undefined ? "http" : "https";
    const tls = this.#tls === undefined ? [] : [
      "--cert-file",
      this.#tls.cert,
      "--key-file",
      this.#tls.key,
      "--trusted-ca-file",
      this.#tls.ca,
      "--client-cert-auth",
    ];
    const args = [
      ...tls,
      "--name",
      m.name,
      "--data-dir",
      m.dataDir,
      "--listen-client-urls",
      `${scheme}://${m.ip}:${m.clientPort}`,
      "--advertise-client-urls",
      `${scheme}://${m.ip}:${m.clientPort}`,
      "--listen-peer-urls",
      `http://${m.ip}:${m.peerPort}`,
      "--initial-advertise-peer-urls",
      `http://${m.ip}:${m.peerPort}`,
      "--initial-cluster",
      initial,
      "--initial-cluster-token",
      this.#token,
      "--initial-cluster-state",
      state,
      "--heartbeat-interval",
      String(this.#timing.heartbeat),
      "--election-timeout",
      String(this.#timing.election),
    ];
    const [cmd, all] = m.netns === undefined
      ? [ETCD_BINARY, args]
      : ["ip", ["netns", "exec", m.netns, ETCD_BINARY, ...args]];
    let child: Deno.ChildProcess;
    try {
      child = new Deno.Command(cmd, {
        args: all,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
    } catch (e) {
      throw new Error(
        `Cannot start etcd (${ETCD_BINARY}): ${
          (e as Error).message
        }; install Debian's etcd-server (apt-get install etcd-server)`,
        { cause: e },
      );
    }
    m.child = child;
    m.log = [];
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    let ready = false;
    const timer = setTimeout(
      () =>
        reject(
          new Error(
            `etcd member ${m.name} on ${m.ip}:${m.clientPort} was not ready within ${this.#readyTimeout} ms; its log:\n${
              m.log.slice(-30).join("\n")
            }`,
          ),
        ),
      this.#readyTimeout,
    );
    const onLine = (line: string) => {
      m.log.push(line);
      if (m.log.length > 400) m.log.shift();
      if (!ready && line.includes("ready to serve client requests")) {
        ready = true;
        clearTimeout(timer);
        resolve();
      }
    };
    const pumps = Promise.all([
      forEachLine(child.stdout, onLine),
      forEachLine(child.stderr, onLine),
    ]);
    child.status.then(async (status) => {
      await pumps.catch(() => {});
      if (!ready) {
        clearTimeout(timer);
        reject(
          new Error(
            `etcd member ${m.name} exited with code ${status.code} before it was ready; its log:\n${
              m.log.slice(-30).join("\n")
            }`,
          ),
        );
      }
    });
    (child as unknown as { pumps: Promise<unknown> }).pumps = pumps;
    m.ready = promise;
    promise.catch(() => {});
  }
}

async function stopChild(m: Member, first: Deno.Signal): Promise<void> {
  const child = m.child;
  if (child === undefined) return;
  m.child = undefined;
  try {
    child.kill(first);
  } catch {
    // gone already
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const killed = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch {
        // gone already
      }
      resolve();
    }, 2000);
  });
  await Promise.race([child.status, killed]);
  clearTimeout(timer);
  await child.status;
  await (child as unknown as { pumps: Promise<unknown> }).pumps.catch(() => {});
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}
