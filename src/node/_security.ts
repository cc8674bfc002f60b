/**
 * Secure mode inside a node: which keys may connect to its services and
 * topics, who a caller is, what a caller may call, and which key a server
 * it connects to must prove — all read from the registry's listing, which
 * the registry has checked against the system's keys and policy.
 *
 * @module
 */

import type { CurveKeyPair } from "../zmq/curve.ts";
import type { CallerIdentity } from "../rpc/context.ts";
import type { NodeInfo } from "../registry/types.ts";
import type { RegistryView } from "../registry/view.ts";
import {
  covers,
  RegistryGate,
  type SecurityPolicy,
} from "../registry/security.ts";
import { LogLimiter } from "../_util/log.ts";
import type { NodeLogger } from "./types.ts";

/**
 * The least time between two listings asked of the registry to judge keys
 * this node's view does not know: a peer that tries key after key costs
 * the registry (and this node) at most a few listings a second, whatever
 * the rate of its handshakes.
 */
const REFRESH_INTERVAL = 250;

/** How refusals of unknown keys are named in the log: one peer for all. */
const UNKNOWN_KEYS = "keys the registry does not list";

/** The keys a node runs with in secure mode. */
export interface NodeSecurity extends CurveKeyPair {
  /**
   * The embedded registry's public key: the node talks to no other
   * registry. Absent with etcd (then `peers` is given).
   */
  registryKey?: string;
  /**
   * With etcd, which checks no keys itself: the system's allow-list, the
   * public key of each node by name. The node then trusts a listed node
   * only when it lists the key of its name, and judges it by `policy`,
   * as the embedded registry does for everyone.
   * @default {none: the registry (embedded) checks}
   */
  peers?: Record<string, string>;
  /** With `peers`: what each node may do. @default {{}} */
  policy?: SecurityPolicy;
  /**
   * Keys of tools (e.g. the `zmp` CLI's) that may call any method and
   * subscribe to any topic of this node.
   * @default {[]}
   */
  tools?: string[];
}

/** A node's secure-mode decisions over its registry view. */
export class NodeGuard {
  readonly security: NodeSecurity;
  readonly #view: RegistryView;
  readonly #log: NodeLogger;
  readonly #tools: Set<string>;
  readonly #logged = new Set<string>();
  #byKey: Map<string, NodeInfo> | undefined;
  #byEndpoint: Map<string, string> | undefined;
  readonly #fetch: () => Promise<NodeInfo[]>;
  #refreshing: Promise<NodeInfo[]> | undefined;
  readonly #confirmed = new Map<string, number>();
  readonly #limiter: LogLimiter;
  #lastFetch = -Infinity;
  #delay:
    | { timer: ReturnType<typeof setTimeout>; resolve: () => void }
    | undefined;
  #closed = false;
  readonly #gate: RegistryGate | undefined;

  /**
   * @param security the node's keys
   * @param view the live nodes (listened to here)
   * @param log where refusals are reported, once per caller and method
   * @param fetch asks the registry for the live nodes
   */
  constructor(
    security: NodeSecurity,
    view: RegistryView,
    log: NodeLogger,
    fetch: () => Promise<NodeInfo[]>,
  ) {
    this.security = security;
    this.#fetch = fetch;
    this.#view = view;
    this.#log = log;
    this.#tools = new Set(security.tools ?? []);
    this.#gate = security.peers === undefined ? undefined : new RegistryGate({
      nodes: security.peers,
      clients: Object.fromEntries(
        (security.tools ?? []).map((key, i) => [`@tool${i}`, key]),
      ),
      policy: security.policy ?? {},
    }, (line) => log.warn(`ignored a listed node: ${line}`));
    this.#limiter = new LogLimiter({
      warn: (m) => log.warn(m),
      error: (m) => log.error(m),
    });
    view.listen(() => {
      this.#byKey = undefined;
      this.#byEndpoint = undefined;
    });
  }

  #node(publicKey: string): NodeInfo | undefined {
    if (this.#byKey === undefined || !this.#view.ready) {
      this.#byKey = new Map();
      for (const n of this.#trusted(this.#view.nodes)) {
        // Tool nodes share the tools' key: a tool is no node's identity.
        if (n.publicKey !== undefined && !this.#tools.has(n.publicKey)) {
          this.#byKey.set(n.publicKey, n);
        }
      }
    }
    return this.#byKey.get(publicKey);
  }

  /**
   * The CURVE hook of the node's services: tools and live nodes (a node
   * this view has not seen yet is looked up in the registry).
   */
  readonly authenticate = (
    { publicKey }: { publicKey: string },
  ): boolean | Promise<boolean> => {
    if (this.#tools.has(publicKey) || this.#node(publicKey) !== undefined) {
      return true;
    }
    if (this.#recentlyRefused(`${publicKey}\0connect`)) return false;
    return this.#refresh().then((nodes) => {
      if (nodes.some((n) => n.publicKey === publicKey)) return true;
      this.#refused(`${publicKey}\0connect`);
      return false;
    });
  };

  /**
   * The listed nodes to believe. The embedded registry checked each
   * already; with etcd (`peers`), a node is believed only when the key it
   * lists is the key of its name (or a tool's, for a tool node), and what
   * it says it calls is narrowed by the policy, as the registry would.
   */
  #trusted(nodes: readonly NodeInfo[]): NodeInfo[] {
    const gate = this.#gate;
    if (gate === undefined) return [...nodes];
    const out: NodeInfo[] = [];
    for (const n of nodes) {
      if (n.publicKey === undefined) continue;
      try {
        out.push(
          gate.admit(n, {
            publicKey: n.publicKey,
            node: gate.identify(n.publicKey),
          }),
        );
      } catch {
        // refused: logged once by the gate
      }
    }
    return out;
  }

  /**
   * Checks this node's own registration against the policy, as the
   * embedded registry does: with etcd, before it is written.
   *
   * @param info what the node is about to register
   * @throws {RpcError} `PERMISSION_DENIED` naming what was refused
   */
  checkOwn(info: NodeInfo): void {
    this.#gate?.admit(info, {
      publicKey: this.security.publicKey,
      node: this.#gate.identify(this.security.publicKey),
    });
  }

  #recentlyRefused(key: string): boolean {
    const at = this.#confirmed.get(key);
    return at !== undefined && performance.now() - at < 1000;
  }

  #refused(key: string): void {
    if (this.#confirmed.size >= 10000) this.#confirmed.clear();
    this.#confirmed.set(key, performance.now());
  }

  /** The node name of a key (with etcd, the allow-list's). */
  readonly identify = (publicKey: string): string | undefined =>
    this.#node(publicKey)?.name ?? this.#gate?.identify(publicKey);

  /**
   * Whether a caller may call `service.method`: a tool may; a node may
   * what the registry lists it uses (narrowed by the policy there). A node
   * that just declared a new use may call before this node's view has it:
   * then the registry is asked.
   *
   * @returns the refusal's message, or `undefined` to let the call run
   */
  readonly authorize = (call: {
    service: string;
    method: string;
    caller: CallerIdentity | undefined;
  }): string | undefined | Promise<string | undefined> => {
    const { caller } = call;
    const name = `${call.service}.${call.method}`;
    if (caller === undefined) return `${name}: the caller has no CURVE key`;
    if (this.#tools.has(caller.publicKey)) return undefined;
    const node = this.#node(caller.publicKey);
    if (node !== undefined && covers(node.uses ?? [], name)) return undefined;
    // A refusal confirmed by the registry stands for a second: a caller
    // that keeps trying costs no registry request per call.
    const recent = `${caller.publicKey}\0${name}`;
    if (this.#recentlyRefused(recent)) {
      return this.#refusal(node?.name ?? caller.publicKey, name);
    }
    return this.#refresh().then((nodes) => {
      const fresh = nodes.find((n) => n.publicKey === caller.publicKey);
      if (fresh !== undefined && covers(fresh.uses ?? [], name)) {
        return undefined;
      }
      this.#refused(recent);
      return this.#refusal(fresh?.name ?? node?.name ?? caller.publicKey, name);
    });
  };

  /**
   * The registry's live nodes, as listed after this ask: concurrent asks
   * share one request, and requests start at least `REFRESH_INTERVAL` ms
   * apart (asks meanwhile wait for the next one). After `close()`, none.
   */
  #refresh(): Promise<NodeInfo[]> {
    return this.#refreshing ??= (async () => {
      const wait = this.#lastFetch + REFRESH_INTERVAL - performance.now();
      if (wait > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            this.#delay = undefined;
            resolve();
          }, wait);
          this.#delay = { timer, resolve };
        });
      }
      if (this.#closed) return [];
      this.#lastFetch = performance.now();
      return this.#trusted(await this.#fetch());
    })().finally(() => {
      this.#refreshing = undefined;
    });
  }

  /**
   * Stops asking the registry (a waiting ask judges on an empty listing,
   * so it refuses) and writes the log summaries due. Idempotent.
   */
  close(): void {
    this.#closed = true;
    if (this.#delay !== undefined) {
      clearTimeout(this.#delay.timer);
      this.#delay.resolve();
      this.#delay = undefined;
    }
    this.#limiter.close();
  }

  #refusal(who: string, name: string): string {
    const key = `${who}\0${name}`;
    if (!this.#logged.has(key) && this.#logged.size < 10000) {
      this.#logged.add(key);
      this.#log.warn(`refused a call of ${name} by ${who}: not allowed`);
    }
    return `${who} may not call ${name}`;
  }

  /**
   * The CURVE hook of a publisher: tools, and live nodes that the registry
   * lists as subscribers of the topic.
   *
   * @param topic the topic
   * @returns the hook
   */
  subscribers(
    topic: string,
  ): (peer: { publicKey: string }) => boolean | Promise<boolean> {
    const allowed = (node: NodeInfo | undefined) =>
      node?.subscribes.some((s) => s.topic === topic) ?? false;
    return ({ publicKey }) => {
      if (this.#tools.has(publicKey)) return true;
      if (allowed(this.#node(publicKey))) return true;
      const recent = `${publicKey}\0subscribe ${topic}`;
      if (this.#recentlyRefused(recent)) return false;
      return this.#refresh().then((nodes) => {
        const node = nodes.find((n) => n.publicKey === publicKey);
        if (allowed(node)) return true;
        this.#refused(recent);
        // A node by name; keys nobody lists (anyone can make one) share
        // one line per interval, with a count of the others.
        this.#limiter.warn(
          `refused subscribers of ${topic}`,
          node?.name ?? UNKNOWN_KEYS,
          `refused a subscriber of ${topic}: ${
            node?.name ?? publicKey
          } is not listed as one`,
        );
        return false;
      });
    };
  }

  /**
   * The public key a server (a service's, a publisher's or a node's
   * `zmp.Observe`) must prove at an endpoint: the key of the live node
   * that lists it.
   *
   * @param endpoint a service or publisher endpoint from the registry
   * @returns its key, or `undefined` when no live node lists it with one
   */
  readonly serverKey = (endpoint: string): string | undefined => {
    if (this.#byEndpoint === undefined || !this.#view.ready) {
      this.#byEndpoint = new Map();
      for (const n of this.#trusted(this.#view.nodes)) {
        if (n.publicKey === undefined) continue;
        if (n.observe !== undefined) {
          this.#byEndpoint.set(n.observe, n.publicKey);
        }
        for (const s of n.services) {
          this.#byEndpoint.set(s.endpoint, n.publicKey);
        }
        for (const p of n.publishes) {
          this.#byEndpoint.set(p.endpoint, n.publicKey);
        }
      }
    }
    return this.#byEndpoint.get(endpoint);
  };
}
