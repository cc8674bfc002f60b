/**
 * This process's TCP sockets, from /proc: what a test that checks for
 * leaked connections should count.
 *
 * `deno test --parallel` runs every test file in the same process, so a
 * count of `/proc/self/fd` also counts what the tests running beside this
 * one hold at that moment: a test that waited for that count to come back
 * failed when a neighbour opened something meanwhile. Counting only the
 * sockets on the test's own ports does not.
 *
 * @module
 */

/** One TCP socket this process holds open. */
export interface OwnTcpSocket {
  /** Its inode: the same socket for as long as it is open. */
  inode: number;
  /** Its local port. */
  local: number;
  /** Its peer's port; 0 for a listener. */
  remote: number;
  /** Whether it is a listener. */
  listening: boolean;
}

/** The `st` column's value for a listener. */
const LISTEN = "0A";

/**
 * The TCP sockets (IPv4 and IPv6) that this process has descriptors for.
 * Linux only; throws where /proc is not there.
 */
export function ownTcpSockets(): OwnTcpSocket[] {
  const inodes = new Set<number>();
  for (const entry of Deno.readDirSync("/proc/self/fd")) {
    let target: string;
    try {
      target = Deno.readLinkSync(`/proc/self/fd/${entry.name}`);
    } catch {
      continue; // closed since the listing
    }
    const m = /^socket:\[(\d+)\]$/.exec(target);
    if (m !== null) inodes.add(Number(m[1]));
  }
  const sockets: OwnTcpSocket[] = [];
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = Deno.readTextFileSync(table);
    } catch {
      continue; // no IPv6
    }
    for (const line of text.split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10) continue;
      const inode = Number(cols[9]);
      if (!inodes.has(inode)) continue;
      sockets.push({
        inode,
        local: portOf(cols[1]),
        remote: portOf(cols[2]),
        listening: cols[3] === LISTEN,
      });
    }
  }
  return sockets;
}

/** The port of an `address:port` column, the port in hex. */
function portOf(column: string): number {
  return parseInt(column.slice(column.lastIndexOf(":") + 1), 16);
}

/**
 * This process's connections (not listeners) with `port` at either end:
 * the accepted ones of a server bound there, and its own clients'.
 */
export function connectionsOn(port: number): number {
  return ownTcpSockets().filter((s) =>
    !s.listening && (s.local === port || s.remote === port)
  ).length;
}

/**
 * The inodes of this process's connections to itself on a port where it
 * does not listen: both ends of a loopback pair whose listener is closed,
 * such as the one a zmtp socket uses to force event-loop turns.
 */
export function unlistenedSelfPairs(): Set<number> {
  const sockets = ownTcpSockets();
  const listening = new Set(
    sockets.filter((s) => s.listening).map((s) => s.local),
  );
  const ends = new Set(
    sockets.filter((s) => !s.listening).map((s) => `${s.local}:${s.remote}`),
  );
  const pairs = new Set<number>();
  for (const s of sockets) {
    if (s.listening || listening.has(s.local) || listening.has(s.remote)) {
      continue;
    }
    if (ends.has(`${s.remote}:${s.local}`)) pairs.add(s.inode);
  }
  return pairs;
}

/** Parses the port of a `tcp://host:port` endpoint. */
export function portOfEndpoint(endpoint: string): number {
  return Number(endpoint.slice(endpoint.lastIndexOf(":") + 1));
}
