/**
 * `zmp record out.mcap`: records topic messages and RPC calls of a running
 * system into an MCAP file (see `src/observe/mcap.ts` for the layout),
 * until Ctrl-C or `--duration`.
 *
 * Topics are recorded by subscribing, as a tool node
 * (`_zmp_record_<pid>`). Calls are recorded where they are served: the
 * recorder opens each serving node's `zmp.Observe.calls` stream, and the
 * node's server interceptor sends every call it finishes — arguments,
 * result or error, timing — for as long as the stream is open (see
 * `src/observe/tap.ts` for why a tap and not a proxy). Nodes and topics
 * that appear while it records are recorded from then on.
 *
 * @module
 */

import { RpcClient } from "../rpc/client.ts";
import type { NodeInfo, Registry, ServiceEntry } from "../registry/types.ts";
import type { Node, TopicSubscription } from "../node/types.ts";
import { OBSERVE_SERVICE, ObserveService } from "../observe/service.ts";
import type { CallRecord } from "../observe/tap.ts";
import {
  nowNs,
  type RecordedCall,
  type RecordedTopic,
  RecordingWriter,
} from "../observe/mcap.ts";
import { stringifyJson } from "../wire/json_schema.ts";
import { checkName } from "../wire/names.ts";
import {
  CliError,
  type CliKeys,
  cliKeys,
  interruptSignal,
  openRegistry,
  parse,
  REGISTRY_HELP,
  REGISTRY_OPTIONS,
  runCommand,
  UsageError,
} from "./_common.ts";
import { toolNode } from "./_tool_node.ts";
import { topicDescriptor } from "./_input.ts";
import { topicsOf, type TopicView } from "./_system.ts";

/** The help text of `zmp record`. */
export const USAGE = `Usage: zmp record <out.mcap> [options]

Records the messages of topics and the calls of services of the running
system into an MCAP file (zstd chunks, JSON messages with JSON Schema
channels: Foxglove Studio opens it), until Ctrl-C or --duration. Topics and
nodes that appear meanwhile are recorded from then on. Replay it with
zmp play.

Without --topics or --services, everything is recorded; with one of them,
only what it names.

Options:
  --topics <a,b>         the topics to record (comma-separated)
  --services <X,Y>       the services whose calls to record
  --duration <s>         stop after this many seconds
${REGISTRY_HELP}
  -h, --help             show this help

Exit codes: 0 when stopped (Ctrl-C, SIGTERM or --duration), 1 when the
registry is down or the file cannot be written, 2 bad usage.

Examples:
  zmp record run.mcap --duration 10
  zmp record sensors.mcap --topics sensors/raw,sensors/filtered
  zmp record calc.mcap --services Calculator`;

/** What to record. */
interface Selection {
  topics: Set<string> | "all" | "none";
  services: Set<string> | "all" | "none";
}

/**
 * Runs `zmp record` with the arguments after `record`.
 *
 * @param args the command-line arguments
 * @returns the exit code
 */
export function main(args: string[]): Promise<number> {
  return runCommand({ name: "record", usage: USAGE }, args, async () => {
    const { values, positionals } = parse(args, {
      ...REGISTRY_OPTIONS,
      topics: { type: "string" },
      services: { type: "string" },
      duration: { type: "string" },
    });
    if (positionals.length !== 1) {
      throw new UsageError(
        `expected one output file, got ${positionals.length} arguments`,
      );
    }
    // Each name by the rule of wire/names.ts, before any network: a name
    // no node can have would record nothing, silently.
    const names = (
      text: string | undefined,
      kind: "topic" | "service",
      flag: string,
    ) => {
      if (text === undefined) return undefined;
      const list = text.split(",").map((s) => s.trim()).filter(Boolean);
      for (const name of list) {
        checkName(kind, name, { field: `${kind} name of ${flag}` });
      }
      return new Set(list);
    };
    const topics = names(values.topics, "topic", "--topics");
    const services = names(values.services, "service", "--services");
    const selection: Selection = {
      topics: topics ?? (services === undefined ? "all" : "none"),
      services: services ?? (topics === undefined ? "all" : "none"),
    };
    let duration: number | undefined;
    if (values.duration !== undefined) {
      duration = Number(values.duration);
      if (!(duration > 0) || !Number.isFinite(duration)) {
        throw new UsageError(
          `--duration must be a number of seconds > 0, got ${
            JSON.stringify(values.duration)
          }`,
        );
      }
    }
    const interrupt = interruptSignal();
    const signals = [interrupt.signal];
    if (duration !== undefined) {
      signals.push(AbortSignal.timeout(duration * 1000));
    }
    const stop = AbortSignal.any(signals);
    let writer: RecordingWriter;
    try {
      writer = await RecordingWriter.create(positionals[0]);
    } catch (e) {
      interrupt.dispose();
      throw new CliError(
        `cannot write ${positionals[0]}: ${(e as Error).message}`,
      );
    }
    try {
      await using registry = await openRegistry(values);
      const keys = await cliKeys(values);
      await using node = await toolNode("record", {
        registry,
        signal: stop,
        keys,
      });
      const recorder = new Recorder(node, writer, selection, keys);
      try {
        await recorder.follow(registry, stop);
      } finally {
        // Stop receiving before the file gets its index.
        await recorder.close();
      }
      await writer.close();
      console.error(`zmp record: ${recorder.summary()} into ${positionals[0]}`);
      return 0;
    } finally {
      await writer.close();
      interrupt.dispose();
    }
  });
}

/** Records what the registry shows, as it comes. */
class Recorder {
  readonly #node: Node;
  readonly #writer: RecordingWriter;
  readonly #selection: Selection;
  readonly #topics = new Map<string, TopicSubscription<unknown>>();
  readonly #started = new Set<string>();
  readonly #taps = new Map<string, { rpc: RpcClient; done: Promise<void> }>();
  readonly #work = new Set<Promise<void>>();
  #closed = false;
  #messages = 0;
  #calls = 0;
  #lost = 0;

  readonly #keys: CliKeys | undefined;

  constructor(
    node: Node,
    writer: RecordingWriter,
    selection: Selection,
    keys?: CliKeys,
  ) {
    this.#keys = keys;
    this.#node = node;
    this.#writer = writer;
    this.#selection = selection;
  }

  /** Follows the registry until `stop` aborts. */
  async follow(registry: Registry, stop: AbortSignal): Promise<void> {
    const live = new Map<string, NodeInfo>();
    try {
      for await (const event of registry.watch({ signal: stop })) {
        if (event.type === "snapshot") {
          live.clear();
          for (const n of event.nodes) live.set(n.name, n);
        } else if (event.type === "removed") live.delete(event.name);
        else live.set(event.node.name, event.node);
        this.#update([...live.values()]);
      }
    } catch (e) {
      if (!stop.aborted) throw e;
    }
  }

  #wanted(set: Set<string> | "all" | "none", name: string): boolean {
    return set === "all" || (set !== "none" && set.has(name));
  }

  #update(nodes: NodeInfo[]): void {
    for (const view of topicsOf(nodes)) {
      if (!this.#wanted(this.#selection.topics, view.topic)) continue;
      if (this.#started.has(view.topic) || view.publishers.length === 0) {
        continue;
      }
      // Marked before the subscription is made: registry events keep
      // coming meanwhile.
      this.#started.add(view.topic);
      this.#track(this.#recordTopic(view));
    }
    for (const info of nodes) {
      if (info.name === this.#node.name || info.observe === undefined) continue;
      const services = info.services.filter((s) =>
        s.name !== OBSERVE_SERVICE &&
        this.#wanted(this.#selection.services, s.name)
      );
      const key = `${info.name}\0${info.instanceId}`;
      if (services.length === 0 || this.#taps.has(key)) continue;
      this.#tap(key, info, services);
    }
    // Taps of nodes that left end by themselves (their streams fail).
  }

  #track(work: Promise<void>): void {
    this.#work.add(work);
    work.finally(() => this.#work.delete(work));
  }

  async #recordTopic(view: TopicView): Promise<void> {
    const descriptor = topicDescriptor(view);
    const topic: RecordedTopic = {
      topic: view.topic,
      typeName: view.typeName,
      schema: view.schema ?? {},
      codec: view.codec ?? "msgpack",
      latched: view.latched,
    };
    const subscription = await this.#node.subscribe(descriptor);
    this.#topics.set(view.topic, subscription);
    if (this.#closed) await subscription.close();
    for await (const { message, traceparent } of subscription.messages()) {
      this.#messages++;
      this.#writer.topicMessage(
        topic,
        nowNs(),
        stringifyJson(message),
        traceparent,
      ).catch((e) => this.#node.log.error(`cannot write: ${e.message}`));
    }
  }

  #tap(key: string, info: NodeInfo, services: ServiceEntry[]): void {
    const keys = this.#keys;
    const rpc = new RpcClient({
      endpoints: [info.observe!],
      retry: false,
      logger: { warn() {}, error() {} },
      // Secure mode: the node's zmp.Observe proves the node's listed key.
      ...(keys === undefined ? {} : {
        curve: {
          publicKey: keys.publicKey,
          secretKey: keys.secretKey,
          serverKey: () => info.publicKey,
        },
      }),
    });
    for (const s of services) {
      this.#writer.service(s).catch(() => {});
    }
    const methods = new Map(
      services.flatMap((s) =>
        (s.methods ?? []).map((m) => [`${s.name}.${m.name}`, m] as const)
      ),
    );
    const done = (async () => {
      try {
        for await (
          const item of rpc.stream(
            ObserveService,
            ObserveService.methods.calls,
            [services.map((s) => s.name)],
          )
        ) {
          const r = item as CallRecord;
          this.#calls++;
          this.#lost += r.lost ?? 0;
          const call: RecordedCall = {
            node: r.node,
            at: new Date(r.at).toISOString(),
            durationMs: r.durationMs,
            args: r.args,
            metadata: r.metadata,
            ...(r.kind === "stream" ? { items: r.items ?? [] } : {}),
            ...("result" in r ? { result: r.result } : {}),
            ...(r.error === undefined ? {} : { error: r.error }),
          };
          this.#writer.call(
            r.service,
            methods.get(`${r.service}.${r.method}`) ?? r.method,
            r.at,
            r.durationMs,
            stringifyJson(call),
          ).catch((e) => this.#node.log.error(`cannot write: ${e.message}`));
        }
      } catch {
        // The node left, or the recorder stops.
      }
    })();
    this.#taps.set(key, { rpc, done });
  }

  /** What was recorded, for people. */
  summary(): string {
    const lost = this.#lost > 0 ? ` (${this.#lost} calls lost: too slow)` : "";
    return `recorded ${this.#messages} messages on ${this.#topics.size} topics and ${this.#calls} calls${lost}`;
  }

  /** Stops recording: subscriptions and taps closed. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#topics.values()].map((s) => s.close()));
    await Promise.all(
      [...this.#taps.values()].map(async ({ rpc, done }) => {
        await rpc.close();
        await done;
      }),
    );
    await Promise.all(this.#work);
  }
}
