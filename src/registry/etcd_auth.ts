/**
 * `setupEtcdAuth()`: etcd RBAC for a zmp system, so that a node's client
 * certificate may write only that node's registration. etcd takes the
 * common name of a client certificate as the user (`--client-cert-auth`);
 * each user gets a role `zmp:<user>` with the grants below, and etcd's
 * authentication is turned on (a `root` user with the `root` role is made
 * first, as etcd requires: use a certificate with the common name `root`).
 *
 * @module
 */

import type { EtcdTlsOptions } from "./_etcd_tls.ts";

/** A permission on a key, or on the keys of `[key, end)`. */
export interface EtcdGrant {
  /** `Read`, `Write` or `ReadWrite`. */
  permission: "Read" | "Write" | "ReadWrite";
  /** The key (the full key, prefix included). */
  key: string;
  /** The end of the range (excluded); just `key` when absent. */
  end?: string;
}

/** Options of {@linkcode setupEtcdAuth}. */
export interface EtcdAuthOptions {
  /** The `etcds://` endpoint (its prefix is the system's). */
  endpoint: string;
  /**
   * TLS with the certificate of etcd's `root` user (common name `root`).
   * @default {the files named by ZMP_ETCD_CA, ZMP_ETCD_CERT, ZMP_ETCD_KEY}
   */
  etcdTls?: EtcdTlsOptions;
  /**
   * The nodes, by name: each gets the etcd user of its name (or `user`),
   * which may read the live nodes and the params, write its own
   * `nodes/<name>`, `tokens/<name>` and `left/<name>`, and set the params
   * of `params` namespaces (every namespace when absent).
   */
  nodes?: Record<string, { user?: string; params?: string[] }>;
  /** Other users and their grants (e.g. the launcher's, the tools'). */
  users?: Record<string, EtcdGrant[]>;
  /** The deadline of each request, in ms. @default {5000} */
  timeout?: number;
}

/**
 * Sets up etcd users, roles and grants for a zmp system and turns etcd's
 * authentication on. Idempotent for users and roles that exist.
 *
 * @example
 * ```ts
 * import { setupEtcdAuth } from "zmp";
 *
 * await setupEtcdAuth({
 *   endpoint: "etcds://etcd.lan:2379",
 *   nodes: { calculator: { params: [] }, display: { params: ["display"] } },
 *   users: { zmp: [{ permission: "Read", key: "zmp/", end: "zmp0" }] },
 * });
 * ```
 *
 * @param options the endpoint, root's TLS, the nodes and other users
 * @throws {TypeError} for an endpoint that is not `etcds://`
 * @throws {Error} what etcd answered when it refused
 */
export async function setupEtcdAuth(options: EtcdAuthOptions): Promise<void> {
  const { applyEtcdAuth } = await import("./_etcd_auth.ts");
  await applyEtcdAuth(options);
}
