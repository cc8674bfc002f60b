/**
 * etcd RBAC for a zmp system: one etcd user per node (the common name of
 * the node's client certificate, which etcd takes as the user under
 * `--client-cert-auth`), whose role may write only that node's own keys.
 * Loaded only by {@linkcode setupEtcdAuth} (it needs gRPC).
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { Etcd3, type IPermission } from "etcd3";
import { parseRegistryEndpoint } from "./_endpoint.ts";
import { resolveEtcdTls } from "./_etcd_tls.ts";
import type { EtcdAuthOptions, EtcdGrant } from "./etcd_auth.ts";

const NODE_DIRS = ["nodes/", "tokens/", "left/"] as const;

/** The end of the range of keys starting with `prefix`. */
function prefixEnd(prefix: string): string {
  const bytes = Buffer.from(prefix);
  for (let i = bytes.length - 1; i >= 0; i--) {
    if (bytes[i] < 0xff) {
      bytes[i]++;
      return bytes.subarray(0, i + 1).toString("latin1");
    }
  }
  return "\0";
}

/**
 * What a node's etcd user may do: read the live nodes and the params;
 * write its own `nodes/<name>`, `tokens/<name>`, `left/<name>`; write the
 * params of its namespaces (all when `params` is absent).
 *
 * @param prefix the system's key prefix, e.g. `zmp`
 * @param name the node's name
 * @param params the params namespaces it may set, or all
 * @returns the grants
 */
export function nodeGrants(
  prefix: string,
  name: string,
  params: readonly string[] | undefined,
): EtcdGrant[] {
  const p = `${prefix}/`;
  return [
    // The watch of the registry spans left/ … nodes/ (left sorts first).
    { permission: "Read", key: `${p}left/`, end: prefixEnd(`${p}nodes/`) },
    { permission: "Read", key: `${p}params/`, end: prefixEnd(`${p}params/`) },
    ...NODE_DIRS.map((dir): EtcdGrant => ({
      permission: "ReadWrite",
      key: `${p}${dir}${name}`,
    })),
    ...(params === undefined
      ? [{
        permission: "ReadWrite",
        key: `${p}params/`,
        end: prefixEnd(`${p}params/`),
      } as EtcdGrant]
      : params.map((ns): EtcdGrant => ({
        permission: "ReadWrite",
        key: `${p}params/${ns}.`,
        end: prefixEnd(`${p}params/${ns}.`),
      }))),
  ];
}

/** Applies the users, roles and grants, then turns authentication on. */
export async function applyEtcdAuth(options: EtcdAuthOptions): Promise<void> {
  const endpoint = parseRegistryEndpoint(options.endpoint, "set up etcd auth");
  if (endpoint.backend !== "etcd" || !endpoint.tls) {
    throw new TypeError(
      `Cannot set up etcd auth: ${options.endpoint} is not an etcds:// endpoint (certificates name the users)`,
    );
  }
  const tls = await resolveEtcdTls(endpoint, options.etcdTls);
  const client = new Etcd3({
    hosts: endpoint.hosts.map((h) => `https://${h}`),
    ...(tls?.credentials === undefined ? {} : { credentials: tls.credentials }),
    ...(tls?.serverName === undefined ? {} : {
      grpcOptions: { "grpc.ssl_target_name_override": tls.serverName },
    }),
  });
  const deadline = () => ({ deadline: Date.now() + (options.timeout ?? 5000) });
  const users: Record<string, EtcdGrant[]> = { ...options.users };
  for (const [name, node] of Object.entries(options.nodes ?? {})) {
    users[node.user ?? name] = [
      ...(users[node.user ?? name] ?? []),
      ...nodeGrants(endpoint.prefix, name, node.params),
    ];
  }
  try {
    const existing = new Set(
      ((await client.auth.userList(deadline())).users ?? []).map(String),
    );
    const roles = new Set(
      ((await client.auth.roleList(deadline())).roles ?? []).map(String),
    );
    if (!existing.has("root")) {
      await client.auth.userAdd({
        name: "root",
        password: "",
        options: { no_password: true },
      }, deadline());
    }
    if (!roles.has("root")) {
      await client.auth.roleAdd({ name: "root" }, deadline());
    }
    await client.auth.userGrantRole({ user: "root", role: "root" }, deadline());
    for (const [user, grants] of Object.entries(users)) {
      const role = `zmp:${user}`;
      if (!existing.has(user)) {
        await client.auth.userAdd({
          name: user,
          password: "",
          options: { no_password: true },
        }, deadline());
      }
      if (!roles.has(role)) {
        await client.auth.roleAdd({ name: role }, deadline());
      }
      for (const g of grants) {
        const perm: IPermission = {
          permType: g.permission === "ReadWrite" ? "Readwrite" : g.permission,
          key: Buffer.from(g.key),
          range_end: Buffer.from(g.end ?? ""),
        };
        await client.auth.roleGrantPermission(
          { name: role, perm },
          deadline(),
        );
      }
      await client.auth.userGrantRole({ user, role }, deadline());
    }
    await client.auth.authEnable(deadline());
  } finally {
    client.close();
  }
}
