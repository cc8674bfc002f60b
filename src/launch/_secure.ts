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
  type NamedKeyPair,
  readKeyPair,
  readPublicKey,
  REGISTRY_KEY_NAME,
} from "./keys.ts";
import type { ResolvedLaunch } from "./_validate.ts";

/** The keys of a secure launch. */
export interface LaunchKeys {
  /** The key directory used. */
  dir: string;
  /**
   * What the embedded registry runs with; none with etcd, which checks no
   * CURVE key (each node checks the others with `allowed`).
   */
  registry?: RegistrySecurity;
  /** The public key of every node and allowed name, by name. */
  allowed: Record<string, string>;
  /**
   * The launcher's own registry connection (with the `@cli` key); none
   * with etcd, which TLS protects instead.
   */
  launcher?: CurveClientSecurity;
  /** Whether the registry is etcd (over TLS): nodes check each other. */
  etcd: boolean;
  /** What each node gets, by name. */
  nodes: Map<string, NodeSecurity>;
  /**
   * With a host: the other hosts' nodes whose secret keys this key
   * directory holds anyway, as a directory copied to every
   * host does. It works, but a compromise of this host leaks them.
   */
  foreignSecrets: string[];
}

/**
 * Reads (or makes) every key a secure launch needs.
 *
 * With etcd, which checks no CURVE key, every node gets the allow-list of
 * the whole launch file (`peers`, all hosts' nodes) and the policy, and
 * judges the registrations it reads itself; etcd must be `etcds://`, its
 * client certificates keeping out whoever has none.
 *
 * On one host (no `host`), every key pair is made on first use. With
 * `host` (`zmp launch --host H`), only the key pairs of the nodes placed
 * there (and `@cli`) are made; the others' public keys must be in the
 * directory already (`zmp keys export` there, `zmp keys import` here), so
 * that a host holds no secret key of another host's nodes.
 *
 * @param launch the checked launch (the nodes to run here)
 * @param options `keys` (`--keys`), else `ZMP_KEYS`, else the spec's, else
 *   `.zmp/keys` beside the launch file; `everyone`: the nodes of every
 *   host (default: the launch's); `host`: the host this launch runs on
 * @returns the keys
 * @throws {LaunchError} for an external registry, a plain `etcd://` one,
 *   a key directory that cannot be used, a node placed here whose secret
 *   key is elsewhere, or (with `host`) a missing public key, naming the
 *   node and how to bring its key here
 */
export async function secureKeys(
  launch: ResolvedLaunch,
  options: {
    keys?: string;
    everyone?: readonly { name: string; host?: string }[];
    host?: string;
  },
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
  const host = options.host;
  const here = host === undefined ? "here" : `on host "${host}"`;
  /** A key pair this launch uses: made on first use, never a stranger's. */
  const own = async (name: string) => {
    const pair = await readKeyPair(dir, name);
    if (pair !== undefined) return pair;
    if (await readPublicKey(dir, name) !== undefined) {
      throw new LaunchError(
        `Cannot launch in secure mode: ${name} runs ${here}, but ${dir} holds only its public key (${name}.pub); bring its key pair from the host that made it, or make a new one with zmp keys gen ${name} --replace --keys ${dir} and import its public key on the other hosts (zmp keys export, zmp keys import)`,
        where,
      );
    }
    return await ensureKeyPair(dir, name);
  };
  /** Another host's key: its public key must be here already. */
  const foreignSecrets: string[] = [];
  const theirs = async (name: string, runs: string, node = true) => {
    const entry = await readPublicKey(dir, name);
    // An allowed name may run here (started by hand, with this directory).
    if (entry?.secret && node) foreignSecrets.push(name);
    if (entry !== undefined) return entry.publicKey;
    throw new LaunchError(
      `Cannot launch on host "${host}" in secure mode: no key for ${name} in ${dir} (${name} ${runs}); there, run zmp keys export ${name} > ${
        name.replaceAll("/", "%2F")
      }.pub, and here zmp keys import ${
        name.replaceAll("/", "%2F")
      }.pub --keys ${dir}`,
      where,
    );
  };
  try {
    // This host's own key pairs first: a launch that then misses another
    // host's public key has made the keys that host needs from this one.
    const cli = await own(CLI_KEY_NAME);
    const registry = etcd ? undefined : await own(REGISTRY_KEY_NAME);
    const pairs = new Map<string, NamedKeyPair>();
    for (const node of launch.nodes) pairs.set(node.name, await own(node.name));
    const allowed: Record<string, string> = {};
    for (const node of options.everyone ?? launch.nodes) {
      allowed[node.name] = pairs.get(node.name)?.publicKey ??
        (host === undefined
          ? (await readPublicKey(dir, node.name))?.publicKey ??
            (await ensureKeyPair(dir, node.name)).publicKey
          : await theirs(
            node.name,
            node.host === undefined
              ? "is placed on no host"
              : `runs on host "${node.host}"`,
          ));
    }
    for (const name of launch.security?.allow ?? []) {
      allowed[name] = host === undefined
        ? (await readPublicKey(dir, name))?.publicKey ??
          (await ensureKeyPair(dir, name)).publicKey
        : await theirs(
          name,
          "is named in security.allow; make its key where it runs, with zmp keys gen",
          false,
        );
    }
    const policy = launch.security?.policy ?? {};
    const nodes = new Map<string, NodeSecurity>();
    for (const [name, pair] of pairs) {
      nodes.set(name, {
        publicKey: pair.publicKey,
        secretKey: pair.secretKey,
        ...(registry === undefined
          ? { peers: allowed, policy }
          : { registryKey: registry.publicKey }),
        tools: [cli.publicKey],
      });
    }
    return {
      dir,
      etcd,
      allowed,
      ...(registry === undefined ? {} : {
        registry: {
          publicKey: registry.publicKey,
          secretKey: registry.secretKey,
          nodes: allowed,
          clients: { [CLI_KEY_NAME]: cli.publicKey },
          policy,
        },
        launcher: {
          publicKey: cli.publicKey,
          secretKey: cli.secretKey,
          serverKey: registry.publicKey,
        },
      }),
      nodes,
      foreignSecrets,
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
