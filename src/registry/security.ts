/**
 * Secure mode in the registry: who may connect (an allow-list of CURVE
 * keys), which key may register which node name, and the policy of what
 * each node may provide, call, publish, subscribe to and set.
 *
 * The registry is the one place that knows every key and the policy. It
 * refuses a registration whose name is not its caller's, and narrows what
 * a node says it calls (`NodeInfo.uses`) to what the policy grants, so
 * that the nodes serving those calls can decide from the registry's
 * listing alone.
 *
 * @module
 */

import type { CurveKeyPair } from "../zmq/curve.ts";
import type { CallerIdentity } from "../rpc/context.ts";
import { RpcError } from "../wire/errors.ts";
import type { NodeInfo } from "./types.ts";

/**
 * What one node may do. An absent field means "what its code declares":
 * the services, topics and params its registration lists.
 */
export interface NodePolicy {
  /** Services it may provide (wire names). */
  provides?: string[];
  /** What it may call: `Service` (every method) or `Service.method`. */
  calls?: string[];
  /** Topics it may publish. */
  publishes?: string[];
  /** Topics it may subscribe to. */
  subscribes?: string[];
  /** Params namespaces it may set and delete. */
  params?: string[];
}

/** The policy of a system: per node name. Nodes not named get the default. */
export type SecurityPolicy = Record<string, NodePolicy>;

/** How a registry runs in secure mode. */
export interface RegistrySecurity extends CurveKeyPair {
  /** The public key of each node that may register, by node name. */
  nodes: Record<string, string>;
  /**
   * Other keys that may connect, by name (e.g. `@cli` for the `zmp`
   * tools): the operator's. They may read everything, set any param, and
   * register tool nodes (names that start with `_zmp_`, like
   * `_zmp_echo_<pid>`), which may then provide, publish and subscribe to
   * anything: the policy does not narrow the operator.
   */
  clients?: Record<string, string>;
  /** What each node may do. @default {{}: what each node's code declares} */
  policy?: SecurityPolicy;
}

/** What a {@linkcode RegistryGate} judges by: no keys of its own. */
export type RegistryRules = Omit<RegistrySecurity, "publicKey" | "secretKey">;

/** A refusal: `PERMISSION_DENIED` naming what was refused. */
function denied(message: string): RpcError {
  return new RpcError("PERMISSION_DENIED", message);
}

/** Whether `grants` (`Service` or `Service.method` entries) cover `wanted`. */
export function covers(grants: readonly string[], wanted: string): boolean {
  return grants.some((g) => g === wanted || wanted.startsWith(`${g}.`));
}

/** The names a tool key may register: `zmp echo`'s `_zmp_echo_<pid>`, … */
export const TOOL_NODE_PREFIX = "_zmp_";

/** The registry's checks in secure mode. */
export class RegistryGate {
  readonly #security: RegistryRules;
  readonly #names = new Map<string, string>();
  readonly #tools = new Set<string>();
  readonly #logged = new Set<string>();
  readonly #log: (line: string) => void;

  /**
   * @param security keys, allow-list and policy
   * @param log where refusals are reported (once per caller and operation)
   */
  constructor(security: RegistryRules, log: (line: string) => void) {
    this.#security = security;
    this.#log = log;
    for (const [name, key] of Object.entries(security.nodes)) {
      this.#names.set(key, name);
    }
    for (const key of Object.values(security.clients ?? {})) {
      this.#tools.add(key);
    }
  }

  /** The CURVE hook: only keys on the allow-list connect. */
  readonly authenticate = ({ publicKey }: { publicKey: string }): boolean =>
    this.#names.has(publicKey) || this.#tools.has(publicKey);

  /**
   * Whether `caller` is a tool key registering, or acting on, a tool
   * node's name (one no node of the system owns).
   */
  #toolNode(name: string, caller: CallerIdentity | undefined): boolean {
    return caller !== undefined && this.#tools.has(caller.publicKey) &&
      name.startsWith(TOOL_NODE_PREFIX) &&
      !Object.hasOwn(this.#security.nodes, name);
  }

  /** The node name of a key, for `ctx.caller.node`. */
  readonly identify = (publicKey: string): string | undefined =>
    this.#names.get(publicKey);

  #refuse(caller: CallerIdentity | undefined, what: string): RpcError {
    const who = caller?.node ?? caller?.publicKey ?? "an unknown caller";
    const key = `${who}\0${what}`;
    if (!this.#logged.has(key) && this.#logged.size < 10000) {
      this.#logged.add(key);
      this.#log(`refused ${who}: ${what}`);
    }
    return denied(what);
  }

  /**
   * Checks a registration or an update and returns what the registry
   * stores: `uses` narrowed to the policy, `publicKey` the caller's.
   *
   * @param info what the node sent
   * @param caller who sent it
   * @returns the info to store
   * @throws {RpcError} `PERMISSION_DENIED` naming what was refused
   */
  admit(info: NodeInfo, caller: CallerIdentity | undefined): NodeInfo {
    const op = `register ${JSON.stringify(info.name)}`;
    if (this.#toolNode(info.name, caller)) {
      // The operator's tools: not narrowed by the policy.
      return { ...info, publicKey: caller!.publicKey };
    }
    if (caller === undefined || caller.node !== info.name) {
      throw this.#refuse(
        caller,
        `${op}: this key is not the key of node ${JSON.stringify(info.name)}`,
      );
    }
    const policy = this.#security.policy?.[info.name] ?? {};
    const check = (
      kind: string,
      granted: string[] | undefined,
      names: string[],
    ) => {
      if (granted === undefined) return;
      const extra = names.find((n) => !granted.includes(n));
      if (extra !== undefined) {
        throw this.#refuse(
          caller,
          `${op}: node ${JSON.stringify(info.name)} may not ${kind} ${
            JSON.stringify(extra)
          }`,
        );
      }
    };
    check("provide", policy.provides, info.services.map((s) => s.name));
    check("publish", policy.publishes, info.publishes.map((p) => p.topic));
    check(
      "subscribe to",
      policy.subscribes,
      info.subscribes.map((s) => s.topic),
    );
    let uses = info.uses ?? [];
    if (policy.calls !== undefined) {
      const calls = policy.calls;
      uses = uses.flatMap((service) =>
        calls.filter((g) => g === service || g.startsWith(`${service}.`))
      );
    }
    return { ...info, uses, publicKey: caller.publicKey };
  }

  /**
   * Checks that the caller is the node it names (heartbeat, unregister).
   *
   * @throws {RpcError} `PERMISSION_DENIED`
   */
  checkOwner(
    name: string,
    operation: string,
    caller: CallerIdentity | undefined,
  ): void {
    if (caller?.node !== name && !this.#toolNode(name, caller)) {
      throw this.#refuse(
        caller,
        `${operation} ${
          JSON.stringify(name)
        }: this key is not the key of node ${JSON.stringify(name)}`,
      );
    }
  }

  /**
   * Checks that the caller may set or delete a param: a tool key may; a
   * node may in the namespaces its policy grants, else in those it uses.
   *
   * @param key the param key, `namespace.name`
   * @param operation `paramSet` or `paramDelete`, for the message
   * @param caller who asks
   * @param live the caller's registration, if any
   * @throws {RpcError} `PERMISSION_DENIED`
   */
  checkParam(
    key: string,
    operation: string,
    caller: CallerIdentity | undefined,
    live: NodeInfo | undefined,
  ): void {
    if (caller !== undefined && this.#tools.has(caller.publicKey)) return;
    const namespace = key.includes(".") ? key.slice(0, key.indexOf(".")) : key;
    const node = caller?.node;
    const granted = node === undefined
      ? []
      : this.#security.policy?.[node]?.params ?? live?.params ?? [];
    if (!granted.includes(namespace)) {
      throw this.#refuse(
        caller,
        `${operation} ${JSON.stringify(key)}: node ${
          JSON.stringify(node ?? caller?.publicKey)
        } may not set params in ${JSON.stringify(namespace)}`,
      );
    }
  }
}
