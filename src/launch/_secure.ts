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
  /** The launcher's own registry connection (with the `@cli` key). */
  launcher: CurveClientSecurity;
  /** What each node gets, by name. */
  nodes: Map<string, NodeSecurity>;
}

/**
 * Reads (or makes) every key a secure launch needs.
 *
 * @param launch the checked launch
 * @param options `keys` (`--keys`), else `ZMP_KEYS`, else the spec's, else
 *   `.zmp/keys` beside the launch file
 * @returns the keys
 * @throws {LaunchError} for a registry that is not embedded, or a key
 *   directory that cannot be used
 */
export async function secureKeys(
  launch: ResolvedLaunch,
  options: { keys?: string },
): Promise<LaunchKeys> {
  const where = { file: launch.file, field: "security" };
  if (launch.registry.kind !== "embedded") {
    throw new LaunchError(
      "Cannot launch in secure mode: it needs the embedded registry (not an external or etcd one)",
      where,
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
    for (const node of launch.nodes) {
      const pair = await ensureKeyPair(dir, node.name);
      allowed[node.name] = pair.publicKey;
      nodes.set(node.name, {
        publicKey: pair.publicKey,
        secretKey: pair.secretKey,
        registryKey: registry.publicKey,
        tools: [cli.publicKey],
      });
    }
    for (const name of launch.security?.allow ?? []) {
      allowed[name] = (await ensureKeyPair(dir, name)).publicKey;
    }
    return {
      dir,
      registry: {
        publicKey: registry.publicKey,
        secretKey: registry.secretKey,
        nodes: allowed,
        clients: { [CLI_KEY_NAME]: cli.publicKey },
        policy: launch.security?.policy ?? {},
      },
      launcher: {
        publicKey: cli.publicKey,
        secretKey: cli.secretKey,
        serverKey: registry.publicKey,
      },
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
