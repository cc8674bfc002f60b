/**
 * `zmp play in.mcap`: replays a recording of `zmp record`. Without
 * `--serve`, it republishes the recorded topics with their original timing
 * (scaled by `--rate`), once or `--loop`ed, each traced message with the
 * `traceparent` it was recorded with (unless `--no-traces`), so that the
 * played system continues the recorded traces. With `--serve`, it becomes a
 * stand-in for the recorded services: a node that provides them and
 * answers each call with what was answered to the same arguments when it
 * was recorded — replay as a test fixture, a typed mock made from real
 * traffic.
 *
 * @module
 */

import { createNode } from "../node/node.ts";
import type { Node, TopicPublisher } from "../node/types.ts";
import type { Registry, ServiceEntry } from "../registry/types.ts";
import type {
  ServiceDescriptor,
  TopicDescriptor,
} from "../wire/descriptors.ts";
import { RpcError } from "../wire/errors.ts";
import type { StatusName } from "../wire/status.ts";
import {
  fromJson,
  parseJson,
  stringifyJson,
  validatorFromSchema,
} from "../wire/json_schema.ts";
import {
  openRecording,
  type RecordedCall,
  type RecordedTopic,
  type Recording,
  traceChannel,
} from "../observe/mcap.ts";
import { parseTraceparent } from "../observe/trace.ts";
import { serviceFromEntry } from "../bridge/_descriptors.ts";
import { checkNodeName } from "../node/node.ts";
import {
  CliError,
  type CliKeys,
  cliKeys,
  interruptSignal,
  millis,
  openRegistry,
  parse,
  REGISTRY_HELP,
  REGISTRY_OPTIONS,
  runCommand,
  toolNodeSecurity,
  UsageError,
} from "./_common.ts";
import { toolNode } from "./_tool_node.ts";

/** The help text of `zmp play`. */
export const USAGE = `Usage: zmp play <in.mcap> [options]

Replays a recording made by zmp record.

Without --serve, republishes its topics with the original timing: it waits
until every subscriber the registry lists for them is connected (up to
--timeout), then publishes each message when its time comes, and exits. A
message recorded with a traceparent (a traced publisher's) is published with
the same one, so the played system continues the recorded traces.

With --serve, provides its services as a node (--name) and answers each call
with what was answered to the same arguments when it was recorded (result,
items or error, in recorded order, the last one again once they run out);
a call with arguments never recorded fails with NOT_FOUND. Runs until
Ctrl-C.

Options:
  --topics <a,b>         only these topics (default: all recorded)
  --rate <x>             play x times faster (default: 1)
  --loop                 start again at the end, until Ctrl-C
  --no-traces            publish without the recorded traceparents
  --serve                answer the recorded calls instead
  --name <node>          the node's name with --serve (default: play)
${REGISTRY_HELP}
  -h, --help             show this help

Exit codes: 0 when played (or stopped by Ctrl-C), 1 when the file cannot be
read or the registry is down, 2 bad usage.

Examples:
  zmp play sensors.mcap --topics sensors/raw
  zmp play sensors.mcap --rate 10 --loop
  zmp play calc.mcap --serve --name calc-replay`;

/**
 * Runs `zmp play` with the arguments after `play`.
 *
 * @param args the command-line arguments
 * @returns the exit code
 */
export function main(args: string[]): Promise<number> {
  return runCommand({ name: "play", usage: USAGE }, args, async () => {
    const { values, positionals } = parse(args, {
      ...REGISTRY_OPTIONS,
      topics: { type: "string" },
      rate: { type: "string" },
      loop: { type: "boolean" },
      "no-traces": { type: "boolean" },
      serve: { type: "boolean" },
      name: { type: "string" },
    });
    if (positionals.length !== 1) {
      throw new UsageError(
        `expected one recording, got ${positionals.length} arguments`,
      );
    }
    const rate = values.rate === undefined ? 1 : Number(values.rate);
    if (!(rate > 0) || !Number.isFinite(rate)) {
      throw new UsageError(
        `--rate must be a number > 0, got ${JSON.stringify(values.rate)}`,
      );
    }
    if (
      values.serve &&
      (values.loop || values.rate || values.topics || values["no-traces"])
    ) {
      throw new UsageError(
        "--serve answers calls: --topics, --rate, --loop and --no-traces are for topics",
      );
    }
    const name = values.name ?? "play";
    try {
      checkNodeName(name);
    } catch (e) {
      throw new UsageError(`--name: ${(e as Error).message}`);
    }
    let recording: Recording;
    try {
      recording = await openRecording(positionals[0]);
    } catch (e) {
      throw new CliError(
        `cannot play ${positionals[0]}: ${(e as Error).message}`,
      );
    }
    const interrupt = interruptSignal();
    try {
      // Secure mode: --serve runs a node of the launch's security.allow,
      // with its own key; playing topics is a tool's (@cli) work.
      await using registry = await openRegistry(
        values,
        values.serve ? { keyName: name } : {},
      );
      if (values.serve) {
        const keys = await cliKeys(values, name);
        return await serve(recording, registry, {
          name,
          signal: interrupt.signal,
          security: keys === undefined ? undefined : toolNodeSecurity(keys),
        });
      }
      const wanted = values.topics?.split(",").map((s) => s.trim()).filter(
        Boolean,
      );
      const topics = recording.topics.filter((t) =>
        wanted === undefined || wanted.includes(t.topic)
      );
      const unknown = wanted?.filter((w) =>
        !recording.topics.some((t) => t.topic === w)
      );
      if (unknown !== undefined && unknown.length > 0) {
        throw new CliError(
          `${positionals[0]} has no topic ${unknown.join(", ")} (recorded: ${
            recording.topics.map((t) => t.topic).join(", ") || "none"
          })`,
        );
      }
      if (topics.length === 0) {
        throw new CliError(`${positionals[0]} has no recorded topic to play`);
      }
      return await play(recording, topics, registry, {
        keys: await cliKeys(values),
        rate,
        loop: values.loop === true,
        traces: values["no-traces"] !== true,
        timeout: millis("timeout", values.timeout, 5000),
        signal: interrupt.signal,
      });
    } finally {
      recording.close();
      interrupt.dispose();
    }
  });
}

function topicOf(t: RecordedTopic): TopicDescriptor {
  return {
    name: t.topic,
    typeName: t.typeName,
    codec: t.codec,
    validate: validatorFromSchema(t.schema),
    schema: t.schema,
    source: "zmp play",
  };
}

async function play(
  recording: Recording,
  topics: RecordedTopic[],
  registry: Registry,
  options: {
    keys: CliKeys | undefined;
    rate: number;
    loop: boolean;
    traces: boolean;
    timeout: number;
    signal: AbortSignal;
  },
): Promise<number> {
  const traces = options.traces
    ? await recordedTraces(recording, topics)
    : new Map();
  await using node = await toolNode("play", {
    registry,
    signal: options.signal,
    keys: options.keys,
  });
  const publishers = new Map<string, TopicPublisher<unknown>>();
  for (const t of topics) {
    publishers.set(
      t.topic,
      await node.publisher(topicOf(t), { latched: t.latched }),
    );
  }
  await waitForSubscribers(node, registry, publishers, options);
  let played = 0;
  do {
    played += await playOnce(recording, topics, publishers, {
      ...options,
      traces,
    });
  } while (options.loop && !options.signal.aborted);
  // Let the last messages leave before the publishers close.
  await new Promise((r) => setTimeout(r, 100));
  console.error(
    `zmp play: played ${played} messages on ${topics.length} topics`,
  );
  return 0;
}

/** Waits until each publisher has the subscribers the registry lists. */
async function waitForSubscribers(
  node: Node,
  registry: Registry,
  publishers: Map<string, TopicPublisher<unknown>>,
  options: { timeout: number; signal: AbortSignal },
): Promise<void> {
  const nodes = await registry.nodes();
  await Promise.all([...publishers].map(([topic, publisher]) => {
    const count = nodes.filter((n) =>
      n.name !== node.name && n.subscribes.some((s) =>
        s.topic === topic
      )
    ).length;
    return publisher.waitForSubscribers(count, {
      signal: options.signal,
      timeout: options.timeout,
    }).catch((e) => {
      if (options.signal.aborted) return;
      node.log.warn(
        `${topic}: ${publisher.subscribers} of ${count} subscribers connected after ${options.timeout} ms (${
          (e as Error).message
        }); playing anyway`,
      );
    });
  }));
}

/** Per topic, the recorded `traceparent` of each traced message. */
type Traces = Map<string, Map<number, string>>;

/**
 * Reads the `traces/<topic>` channels of the played topics: which message
 * (by its sequence in its channel) carried which `traceparent`. A record
 * that is not a valid `traceparent` is left out, with a warning: its
 * message is played untraced.
 *
 * @param recording the recording
 * @param topics the topics played
 * @returns the `traceparent`s per topic and sequence
 */
async function recordedTraces(
  recording: Recording,
  topics: RecordedTopic[],
): Promise<Traces> {
  const traces: Traces = new Map();
  for (const { topic } of topics) {
    const channel = traceChannel(topic);
    if (!recording.counts.has(channel)) continue;
    const bySequence = new Map<number, string>();
    let bad = 0;
    let all = 0;
    for await (const m of recording.messages([channel])) {
      all++;
      let record: { sequence?: unknown; traceparent?: unknown } | undefined;
      try {
        record = JSON.parse(m.json);
      } catch {
        record = undefined;
      }
      const { sequence, traceparent } = record ?? {};
      if (
        typeof sequence === "number" && typeof traceparent === "string" &&
        parseTraceparent(traceparent) !== undefined
      ) {
        bySequence.set(sequence, traceparent);
      } else bad++;
    }
    if (bad > 0) {
      console.error(
        `zmp play: ${bad} of ${all} records of ${channel} are not { sequence, traceparent } (their messages play untraced)`,
      );
    }
    traces.set(topic, bySequence);
  }
  return traces;
}

async function playOnce(
  recording: Recording,
  topics: RecordedTopic[],
  publishers: Map<string, TopicPublisher<unknown>>,
  options: { rate: number; signal: AbortSignal; traces: Traces },
): Promise<number> {
  const byName = new Map(topics.map((t) => [t.topic, t]));
  let first: bigint | undefined;
  const start = performance.now();
  let n = 0;
  for await (const m of recording.messages(topics.map((t) => t.topic))) {
    if (options.signal.aborted) break;
    first ??= m.logTime;
    const due = start + Number(m.logTime - first) / 1e6 / options.rate;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait, options.signal);
    if (options.signal.aborted) break;
    const topic = byName.get(m.channel)!;
    const { value, issues } = fromJson(
      topic.schema,
      parseJson(m.json),
      "message",
    );
    if (issues.length > 0) {
      throw new CliError(
        `message ${n + 1} of ${topic.topic} does not match its schema: ${
          issues[0].path
        }: expected ${issues[0].expected}, got ${issues[0].received}`,
      );
    }
    const traceparent = options.traces.get(m.channel)?.get(m.sequence);
    publishers.get(m.channel)!.publish(
      value,
      traceparent === undefined ? {} : { traceparent },
    );
    n++;
  }
  return n;
}

/** Recorded outcomes per method and arguments, answered in order. */
class Answers {
  readonly #byKey = new Map<string, { calls: RecordedCall[]; next: number }>();
  count = 0;

  add(call: RecordedCall): void {
    const key = canonical(call.args);
    let entry = this.#byKey.get(key);
    if (entry === undefined) {
      entry = { calls: [], next: 0 };
      this.#byKey.set(key, entry);
    }
    entry.calls.push(call);
    this.count++;
  }

  take(args: unknown[]): RecordedCall | undefined {
    const entry = this.#byKey.get(canonical(parseJson(stringifyJson(args))));
    if (entry === undefined) return undefined;
    const call = entry.calls[Math.min(entry.next, entry.calls.length - 1)];
    entry.next++;
    return call;
  }
}

/** JSON text with object keys sorted: equal values, equal text. */
function canonical(value: unknown): string {
  return stringifyJson(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object" && !(value instanceof Date)) {
    return Object.fromEntries(
      Object.entries(value).sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0)
        .map(([k, v]) => [k, sortKeys(v)]),
    );
  }
  return value;
}

async function serve(
  recording: Recording,
  registry: Registry,
  options: {
    name: string;
    signal: AbortSignal;
    security?: ReturnType<typeof toolNodeSecurity>;
  },
): Promise<number> {
  if (recording.services.length === 0) {
    throw new CliError("the recording has no recorded service to serve");
  }
  const answers = new Map<string, Answers>();
  for (const c of recording.calls) {
    const a = new Answers();
    for await (const m of recording.messages([c.channel])) {
      a.add(parseJson(m.json) as RecordedCall);
    }
    answers.set(`${c.service}.${c.method}`, a);
  }
  await using node = await createNode(options.name, {
    registry,
    signal: options.signal,
    security: options.security,
  });
  let total = 0;
  for (const entry of recording.services) {
    const service = serviceFromEntry(entry);
    await node.provide(service, handlers(entry, service, answers));
    for (const m of entry.methods ?? []) {
      total += answers.get(`${entry.name}.${m.name}`)?.count ?? 0;
    }
  }
  console.error(
    `zmp play: ${options.name} serves ${
      recording.services.map((s) => s.name).join(", ")
    } from ${total} recorded calls (Ctrl-C to stop)`,
  );
  await new Promise<void>((resolve) => {
    if (node.signal.aborted) resolve();
    node.signal.addEventListener("abort", () => resolve(), { once: true });
  });
  return 0;
}

function handlers(
  entry: ServiceEntry,
  service: ServiceDescriptor,
  answers: Map<string, Answers>,
): Record<string, (...args: unknown[]) => unknown> {
  const out: Record<string, (...args: unknown[]) => unknown> = {};
  for (const method of Object.values(service.methods)) {
    const label = `${entry.name}.${method.name}`;
    const recorded = answers.get(label);
    const find = (args: unknown[]): RecordedCall => {
      const call = recorded?.take(args);
      if (call === undefined) {
        throw new RpcError(
          "NOT_FOUND",
          `No recorded call of ${label} with arguments ${
            stringifyJson(args)
          } (${recorded?.count ?? 0} recorded calls of ${label})`,
        );
      }
      return call;
    };
    const value = (json: unknown) =>
      fromJson(method.resultSchema, json, "result").value;
    const fail = (error: NonNullable<RecordedCall["error"]>) =>
      new RpcError(error.code as StatusName, error.message, {
        ...(error.details === undefined
          ? {}
          : { details: error.details as Record<string, unknown> }),
      });
    const arity = method.params.length;
    out[method.name] = method.kind === "stream"
      ? async function* (...all: unknown[]) {
        const call = find(trim(all.slice(0, arity)));
        for (const item of call.items ?? []) yield value(item);
        if (call.error !== undefined) throw fail(call.error);
      }
      : (...all: unknown[]) => {
        const call = find(trim(all.slice(0, arity)));
        if (call.error !== undefined) throw fail(call.error);
        return value(call.result);
      };
  }
  return out;
}

/** The arguments as the caller sent them: trailing omitted ones dropped. */
function trim(args: unknown[]): unknown[] {
  let n = args.length;
  while (n > 0 && args[n - 1] === undefined) n--;
  return args.slice(0, n);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}
