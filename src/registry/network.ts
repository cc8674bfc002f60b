/**
 * What a node needs from the network to take part in a system: the address
 * it advertises (where its peers reach its services and topics), and the
 * Deno permissions its registry backend needs.
 *
 * @module
 */

import {
  isEtcdEndpoint,
  parseRegistryEndpoint,
  registryHosts,
} from "./_endpoint.ts";
import { readEnv } from "../_util/env.ts";
import { ETCD_TLS_ENV } from "./_etcd_tls.ts";

/** The Deno permissions a backend needs, on top of zmp's own. */
export interface RegistryPermissions {
  /** `--allow-net` entries. */
  net?: string[];
  /** `--allow-env` entries. */
  env?: string[];
  /** `--allow-read` entries. */
  read?: string[];
}

/** The environment variables grpc-js reads (etcd's client). */
const GRPC_ENV = [
  "GRPC_*",
  "grpc_proxy",
  "https_proxy",
  "http_proxy",
  "no_grpc_proxy",
  "no_proxy",
];

/**
 * The permissions a node needs for its registry: none for the embedded
 * registry (ZeroMQ goes through FFI); for etcd, the network to its members,
 * the environment variables of gRPC, and reading etcd3's protocol files;
 * over TLS, the `ZMP_ETCD_*` variables and the files they name.
 *
 * @param registry the registry endpoint
 * @param env the node's own environment, over this process's (its
 *   `ZMP_ETCD_*` files)
 * @returns the extra permissions
 */
export function registryPermissions(
  registry: string,
  env: Record<string, string> = {},
): RegistryPermissions {
  if (!isEtcdEndpoint(registry)) return {};
  const parsed = parseRegistryEndpoint(registry, "run a node");
  const tls = parsed.backend === "etcd" && parsed.tls;
  const needs: RegistryPermissions = {
    net: parsed.backend === "etcd" ? parsed.hosts : [],
    env: tls ? [...GRPC_ENV, ...Object.values(ETCD_TLS_ENV)] : GRPC_ENV,
  };
  // TLS: the files that ZMP_ETCD_CA, _CERT and _KEY name, as set here.
  const files = tls
    ? (["ca", "cert", "key"] as const).map((k) =>
      env[ETCD_TLS_ENV[k]] ?? readEnv(ETCD_TLS_ENV[k])
    ).filter((f) => f !== undefined)
    : [];
  try {
    const lib = new URL(import.meta.resolve("etcd3"));
    if (lib.protocol === "file:") {
      needs.read = [decodeURIComponent(new URL("../", lib).pathname)];
    }
  } catch {
    // not resolvable here: the node will say what it lacks
  }
  if (files.length > 0) needs.read = [...needs.read ?? [], ...files];
  return needs;
}

/**
 * The address this process advertises to its peers (and binds its
 * sockets to): `ZMP_ADVERTISE_HOST` when set; `127.0.0.1` when the
 * registry is on this machine's loopback; otherwise the address of the
 * network interface whose subnet holds the registry, or the first
 * non-loopback IPv4 address.
 *
 * @param registry the registry endpoint
 * @returns an IP address or host name
 */
export function advertiseHost(registry: string): string {
  const chosen = readEnv("ZMP_ADVERTISE_HOST");
  if (chosen !== undefined) return chosen;
  const hosts = registryHosts(registry);
  if (hosts.length === 0 || hosts.every(isLoopback)) return "127.0.0.1";
  let interfaces: Deno.NetworkInterfaceInfo[];
  try {
    interfaces = Deno.networkInterfaces().filter((i) =>
      i.family === "IPv4" && !isLoopback(i.address)
    );
  } catch {
    return "127.0.0.1"; // no --allow-sys=networkInterfaces
  }
  for (const host of hosts) {
    const ip = ipv4(host);
    if (ip === undefined) continue;
    const match = interfaces.find((i) => {
      const addr = ipv4(i.address);
      const mask = ipv4(i.netmask);
      return addr !== undefined && mask !== undefined &&
        (addr & mask) === (ip & mask);
    });
    if (match !== undefined) return match.address;
  }
  return interfaces[0]?.address ?? "127.0.0.1";
}

function isLoopback(host: string): boolean {
  return host === "localhost" || host.startsWith("127.") || host === "[::1]" ||
    host === "::1";
}

function ipv4(text: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (m === null) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>>
    0;
}
