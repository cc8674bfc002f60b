/**
 * Secure mode at launch: the keys of the registry, the launcher and every
 * node (made on first use in the key directory), the registry's allow-list
 * and policy, and what each node is handed.
 *
 * @module
 */

import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { CurveClientSecurity } from "../zmq/curve.ts";
import type { RegistrySecurity } from "../registry/security.ts";
import type { NodeSecurity } from "../node/_security.ts";
import { readEnv } from "../_util/env.ts";
import { isEtcdEndpoint } from "../registry/_endpoint.ts";
import { LaunchError } from "./errors.ts";
import {
  CLI_KEY_NAME,
  ensureKeyPair,
  KeyStoreError,
  REGISTRY_KEY_NAME,
} from "./keys.ts";
import type { ResolvedLaunch } from "./_validate.ts";

/** The keys of a secure launch. */
export interface LaunchKeys {
  /** The key directory used. */
  dir: string;
  /** What the embedded registry runs with. */
  registry: RegistrySecurity;
  /**
   * The launcher's own registry connection (with the `@cli` key); none
   * with etcd, which TLS protects instead.
   */
  launcher?: CurveClientSecurity;
  /** Whether the registry is etcd (over TLS): nodes check each other. */
  etcd: boolean;
  /** What each node gets, by name. */
  nodes: Map<string, NodeSecurity>;
}

/**
 * Reads (or makes) every key a secure launch needs.
 *
 * With etcd, which checks no CURVE key, every node gets the allow-list of
 * the whole launch file (`peers`, all hosts' nodes) and the policy, and
 * judges the registrations it reads itself; etcd must be `etcds://`, its
 * client certificates keeping out whoever has none.
 *
 * @param launch the checked launch
 * @param options `keys` (`--keys`), else `ZMP_KEYS`, else the spec's, else
 *   `.zmp/keys` beside the launch file; `everyone`: the nodes of every
 *   host (default: the launch's)
 * @returns the keys
 * @throws {LaunchError} for an external registry, a plain `etcd://` one,
 *   or a key directory that cannot be used
 */
export async function secureKeys(
  launch: ResolvedLaunch,
  options: { keys?: string; everyone?: readonly { name: string }[] },
): Promise<LaunchKeys> {
  const where = { file: launch.file, field: "security" };
  const etcd = launch.registry.kind !== "embedded" &&
    isEtcdEndpoint(launch.registry.endpoint);
  if (launch.registry.kind !== "embedded" && !etcd) {
    throw new LaunchError(
      "Cannot launch in secure mode: it needs the embedded registry or etcd over TLS (etcds://), not an external registry",
      where,
    );
  }
  if (etcd && !launch.registry.endpoint.startsWith("etcds://")) {
    throw new LaunchError(
      `Cannot launch in secure mode on ${launch.registry.endpoint}: etcd needs TLS with client certificates (etcds://, ZMP_ETCD_CA, ZMP_ETCD_CERT, ZMP_ETCD_KEY); over plain etcd:// whoever reaches etcd reads and changes the registry`,
      { ...where, field: "registry" },
    );
  }
  const base = launch.file?.startsWith("file:")
    ? dirname(fileURLToPath(launch.file))
    : Deno.cwd();
  const dir = options.keys ?? readEnv("ZMP_KEYS") ?? launch.security?.keys ??
    join(base, ".zmp/keys");
  try {
    const registry = await ensureKeyPair(dir, REGISTRY_KEY_NAME);
    const cli = await ensureKeyPair(dir, CLI_KEY_NAME);
    const nodes = new Map<string, NodeSecurity>();
    const allowed: Record<string, string> = {};
    for (const node of options.everyone ?? launch.nodes) {
      allowed[node.name] = (await ensureKeyPair(dir, node.name)).publicKey;
    }
    for (const name of launch.security?.allow ?? []) {
      allowed[name] = (await ensureKeyPair(dir, name)).publicKey;
    }
    const policy = launch.security?.policy ?? {};
    for (const node of launch.nodes) {
      const pair = await ensureKeyPair(dir, node.name);
      nodes.set(node.name, {
        publicKey: pair.publicKey,
        secretKey: pair.secretKey,
        ...(etcd
          ? { peers: allowed, policy }
          : { registryKey: registry.publicKey }),
        tools: [cli.publicKey],
      });
    }
    return {
      dir,
      etcd,
      registry: {
        publicKey: registry.publicKey,
        secretKey: registry.secretKey,
        nodes: allowed,
        clients: { [CLI_KEY_NAME]: cli.publicKey },
        policy,
      },
      ...(etcd ? {} : {
        launcher: {
          publicKey: cli.publicKey,
          secretKey: cli.secretKey,
          serverKey: registry.publicKey,
        },
      }),
      nodes,
    };
  } catch (e) {
    if (e instanceof KeyStoreError || e instanceof TypeError) {
      throw new LaunchError(`Cannot launch in secure mode: ${e.message}`, {
        ...where,
        cause: e,
      });
    }
    throw e;
  }
}
