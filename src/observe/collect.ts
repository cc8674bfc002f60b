/**
 * `MetricsCollector`: asks every live process of a system for its metrics
 * — each node at its `NodeInfo.observe` endpoint, the registry at its own
 * — in parallel, with one client per endpoint kept between rounds. What
 * `zmp top`, the Prometheus endpoint and `zmp doctor` read.
 *
 * @module
 */

import { RpcClient } from "../rpc/client.ts";
import type { NodeInfo } from "../registry/types.ts";
import type { CurveKeyPair } from "../zmq/curve.ts";
import type { MetricsSnapshot } from "./metrics.ts";
import { ObserveService } from "./service.ts";

/** One round of answers. */
export interface SystemMetrics {
  /** When the round started, ms since the epoch. */
  at: number;
  /** The registry's snapshot (absent when it did not answer). */
  registry?: MetricsSnapshot;
  /** The nodes that answered, by name. */
  nodes: MetricsSnapshot[];
  /** The nodes that did not answer (or serve no `zmp.Observe`), and why. */
  silent: { node: string; reason: string }[];
}

/** Options of {@linkcode MetricsCollector}. */
export interface MetricsCollectorOptions {
  /** The registry's endpoint; it is asked too (unless it is etcd's). */
  registry?: string;
  /** How long each process may take to answer, in ms. @default {1000} */
  timeout?: number;
  /**
   * Secure mode: ask over CURVE with this key pair (the tools' `@cli`);
   * each node must prove the public key the registry lists for it, and
   * the registry `registryKey`. @default {none: plain TCP}
   */
  curve?: CurveKeyPair & { registryKey: string };
}

/** Asks the processes of a system for their metrics; see the module doc. */
export class MetricsCollector implements AsyncDisposable {
  readonly #clients = new Map<string, RpcClient>();
  readonly #registry: string | undefined;
  readonly #timeout: number;
  readonly #curve: MetricsCollectorOptions["curve"];
  /** Secure mode: the key each endpoint must prove. */
  readonly #serverKeys = new Map<string, string>();

  /**
   * A collector with no connection yet: each process is connected to when
   * first asked, and kept until `close()`.
   *
   * @param options the registry endpoint, the answer timeout
   */
  constructor(options: MetricsCollectorOptions = {}) {
    // An etcd registry is not a process that answers zmp.Observe.
    this.#registry = /^(tcp|ipc|inproc):\/\//.test(options.registry ?? "")
      ? options.registry
      : undefined;
    this.#timeout = options.timeout ?? 1000;
    this.#curve = options.curve;
    if (this.#registry !== undefined && options.curve !== undefined) {
      this.#serverKeys.set(this.#registry, options.curve.registryKey);
    }
  }

  #client(endpoint: string): RpcClient {
    let client = this.#clients.get(endpoint);
    if (client === undefined) {
      client = new RpcClient({
        endpoints: [endpoint],
        retry: false,
        logger: { warn() {}, error() {} },
        ...(this.#curve === undefined ? {} : {
          curve: {
            publicKey: this.#curve.publicKey,
            secretKey: this.#curve.secretKey,
            serverKey: (e: string) => this.#serverKeys.get(e),
          },
        }),
      });
      this.#clients.set(endpoint, client);
    }
    return client;
  }

  async #ask(endpoint: string): Promise<MetricsSnapshot> {
    return await this.#client(endpoint).call(
      ObserveService,
      ObserveService.methods.metrics,
      [],
      { timeout: this.#timeout },
    ) as MetricsSnapshot;
  }

  /**
   * Asks every node of `nodes` (and the registry) once.
   *
   * @param nodes the live nodes, as the registry lists them
   * @returns the answers, nodes sorted by name
   */
  async collect(nodes: readonly NodeInfo[]): Promise<SystemMetrics> {
    const at = Date.now();
    const live = new Set<string>();
    const silent: SystemMetrics["silent"] = [];
    const asked = nodes.map(async (node) => {
      if (node.observe === undefined) {
        silent.push({ node: node.name, reason: "serves no zmp.Observe" });
        return undefined;
      }
      live.add(node.observe);
      if (node.publicKey !== undefined) {
        this.#serverKeys.set(node.observe, node.publicKey);
      }
      try {
        return await this.#ask(node.observe);
      } catch (e) {
        silent.push({ node: node.name, reason: (e as Error).message });
        return undefined;
      }
    });
    const registry = this.#registry === undefined
      ? undefined
      : this.#ask(this.#registry).catch(() => undefined);
    if (this.#registry !== undefined) live.add(this.#registry);
    const answers = await Promise.all(asked);
    const result: SystemMetrics = {
      at,
      nodes: answers.filter((a): a is MetricsSnapshot => a !== undefined)
        .sort((a, b) => a.node.localeCompare(b.node)),
      silent: silent.sort((a, b) => a.node.localeCompare(b.node)),
    };
    const r = await registry;
    if (r !== undefined) result.registry = r;
    // Clients of processes that left are closed.
    for (const [endpoint, client] of this.#clients) {
      if (!live.has(endpoint)) {
        this.#clients.delete(endpoint);
        this.#serverKeys.delete(endpoint);
        await client.close();
      }
    }
    return result;
  }

  /** Closes every client. Idempotent. */
  async close(): Promise<void> {
    const clients = [...this.#clients.values()];
    this.#clients.clear();
    await Promise.all(clients.map((c) => c.close()));
  }

  /** Same as {@linkcode MetricsCollector.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
