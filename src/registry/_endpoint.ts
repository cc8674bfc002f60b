/**
 * Registry endpoints: the backend is chosen by the endpoint, everywhere one
 * is taken. `etcd://host:port,host:port[/prefix]` is etcd; `etcds://…` is
 * etcd over TLS (with a client certificate when etcd asks for one); anything
 * else (`tcp://host:port`, `ipc://…`) is an embedded registry.
 *
 * @module
 */

/** The default etcd client port. */
export const ETCD_DEFAULT_PORT = 2379;

/** The default key prefix of a zmp system in etcd. */
export const ETCD_DEFAULT_PREFIX = "zmp";

/** An embedded registry's endpoint. */
export interface EmbeddedEndpoint {
  backend: "embedded";
  /** The ZeroMQ endpoint, e.g. `tcp://127.0.0.1:7350`. */
  endpoint: string;
}

/** An etcd cluster's endpoint. */
export interface EtcdEndpoint {
  backend: "etcd";
  /** The endpoint as written, normalised: `etcd://a:2379,b:2379/zmp`. */
  endpoint: string;
  /** Whether it speaks TLS (`etcds://`). */
  tls: boolean;
  /** The members' client addresses, `host:port`. */
  hosts: string[];
  /** The key prefix, without slashes around it: keys are `<prefix>/…`. */
  prefix: string;
}

/** A parsed registry endpoint. */
export type RegistryEndpoint = EmbeddedEndpoint | EtcdEndpoint;

const HOST = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(?::(\d{1,5}))?$/;
const PREFIX = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;

/**
 * Whether an endpoint names etcd.
 *
 * @param endpoint a registry endpoint
 * @returns `true` for `etcd://…` and `etcds://…`
 */
export function isEtcdEndpoint(endpoint: string): boolean {
  return endpoint.startsWith("etcd://") || endpoint.startsWith("etcds://");
}

/**
 * Parses a registry endpoint.
 *
 * @example
 * ```ts
 * import { parseRegistryEndpoint } from "./_endpoint.ts";
 *
 * const parsed = parseRegistryEndpoint("etcd://10.0.0.1,10.0.0.2:22379/lab", "connect");
 * console.log(parsed); // { backend: "etcd", hosts: ["10.0.0.1:2379", "10.0.0.2:22379"], prefix: "lab", … }
 * ```
 *
 * @param endpoint the endpoint
 * @param what what was being done, for the message (`connect to the registry`)
 * @returns the backend and its address
 * @throws {TypeError} for an `etcd://` endpoint without hosts, with a bad
 *   host, port or prefix, or for an endpoint that is not a string
 */
export function parseRegistryEndpoint(
  endpoint: string,
  what: string,
): RegistryEndpoint {
  if (typeof endpoint !== "string" || endpoint === "") {
    throw new TypeError(
      `Cannot ${what}: the endpoint must be a non-empty string, got ${
        JSON.stringify(endpoint)
      }`,
    );
  }
  if (!isEtcdEndpoint(endpoint)) return { backend: "embedded", endpoint };
  const bad = (why: string) =>
    new TypeError(
      `Cannot ${what}: ${
        JSON.stringify(endpoint)
      } is not a valid etcd endpoint (${why}; expected etcd://host:port,host:port[/prefix], or etcds:// for TLS)`,
    );
  const tls = endpoint.startsWith("etcds://");
  const scheme = tls ? "etcds://" : "etcd://";
  const rest = endpoint.slice(scheme.length);
  const slash = rest.indexOf("/");
  const hostList = slash < 0 ? rest : rest.slice(0, slash);
  const prefix = slash < 0
    ? ETCD_DEFAULT_PREFIX
    : rest.slice(slash + 1).replace(/\/+$/, "");
  if (hostList === "") throw bad("no host");
  const hosts: string[] = [];
  for (const item of hostList.split(",")) {
    const m = HOST.exec(item);
    if (m === null) throw bad(`bad host ${JSON.stringify(item)}`);
    const port = m[2] === undefined ? ETCD_DEFAULT_PORT : Number(m[2]);
    if (port < 1 || port > 65535) throw bad(`bad port in ${item}`);
    hosts.push(`${m[1]}:${port}`);
  }
  if (!PREFIX.test(prefix)) {
    throw bad(`bad prefix ${JSON.stringify(prefix)}`);
  }
  return {
    backend: "etcd",
    endpoint: `${scheme}${hosts.join(",")}${
      prefix === ETCD_DEFAULT_PREFIX ? "" : `/${prefix}`
    }`,
    hosts,
    prefix,
    tls,
  };
}

/**
 * The hosts of a registry endpoint, without ports: where the registry
 * runs (for choosing the address a node advertises).
 *
 * @param endpoint a registry endpoint
 * @returns the host names or addresses; `[]` when there are none (ipc)
 */
export function registryHosts(endpoint: string): string[] {
  if (isEtcdEndpoint(endpoint)) {
    try {
      const parsed = parseRegistryEndpoint(endpoint, "read");
      return parsed.backend === "etcd" ? parsed.hosts.map(stripPort) : [];
    } catch {
      return [];
    }
  }
  const m = /^tcp:\/\/(\[[^\]]+\]|[^:/]+)/.exec(endpoint);
  return m === null ? [] : [m[1]];
}

function stripPort(hostPort: string): string {
  return hostPort.replace(/:\d+$/, "");
}
