/**
 * `zmp play` continues the traces a recording kept: each message that
 * carried a `traceparent` when `zmp record` received it is published again
 * with that `traceparent` (and `--no-traces` leaves them out). Real
 * registry, real `zmp record` and `zmp play` subprocesses.
 */

import {
  assert,
  assertEquals,
  assertStringIncludes,
  waitFor,
} from "../_assert.ts";
import {
  connectRegistry,
  createNode,
  MetricsCollector,
  type Registry,
} from "../../mod.ts";
import { parseJson, stringifyJson } from "../../src/wire/mod.ts";
import { RawReadingTopic } from "../../examples/sensors/sensors.api.gen.ts";
import {
  openRecording,
  type RecordedTopic,
  RecordingWriter,
  traceChannel,
} from "../../src/observe/mcap.ts";
import { quiet, startTestRegistry } from "../node/_helpers.ts";
import { Zmp } from "./_helpers.ts";

const COUNT = 12;
const silent = { debug() {}, info() {}, ...quiet };
/** Every third reading is traced, each with a traceparent of its own. */
const traced = (seq: number) => seq % 3 === 0;
const traceparent = (seq: number) =>
  `00-${String(seq + 1).padStart(32, "a")}-b7ad6b716920333${seq % 10}-01`;

/** Waits until the registry lists a node subscribed to `topic`. */
async function subscriberListed(
  registry: Registry,
  prefix: string,
  topic: string,
): Promise<void> {
  await waitFor(
    async () =>
      (await registry.nodes()).some((n) =>
        n.name.startsWith(prefix) &&
        n.subscribes.some((s) => s.topic === topic)
      ),
    `a node ${prefix}… subscribed to ${topic}`,
    { timeout: 30000 },
  );
}

/** Records COUNT readings, some traced, into `path`. */
async function record(endpoint: string, path: string): Promise<void> {
  // The recorder learns the topic's type from its publisher: first.
  await using producer = await createNode("producer", {
    registry: endpoint,
    logger: silent,
  });
  const raw = await producer.publisher(RawReadingTopic);
  await using recorder = new Zmp([
    "record",
    path,
    "--topics",
    RawReadingTopic.name,
    "--registry",
    endpoint,
  ]);
  await using registry = await connectRegistry({ endpoint, logger: quiet });
  await subscriberListed(registry, "_zmp_record_", RawReadingTopic.name);
  await raw.waitForSubscribers(1, { timeout: 30000 });
  for (let seq = 0; seq < COUNT; seq++) {
    raw.publish(
      { sensor: "greenhouse", seq, value: seq / 2, at: new Date(seq * 1000) },
      traced(seq) ? { traceparent: traceparent(seq) } : {},
    );
  }
  await using collector = new MetricsCollector();
  await waitFor(async () => {
    const system = await collector.collect(await registry.nodes());
    return system.nodes.find((n) => n.node.startsWith("_zmp_record_"))
      ?.topics.find((t) => t.topic === RawReadingTopic.name)
      ?.messages === COUNT;
  }, `the recorder's ${COUNT} readings`);
  assertEquals(await recorder.stop(), 0, recorder.text);
  assert(
    recorder.text.includes(`recorded ${COUNT} messages on 1 topics`),
    recorder.text,
  );
}

/**
 * Plays `path` into a fresh subscriber until it has `count` readings.
 *
 * @returns seq → the traceparent received, and what `zmp play` printed
 */
async function play(
  endpoint: string,
  path: string,
  options: { flags?: string[]; count?: number } = {},
): Promise<{ received: Map<number, string | undefined>; text: string }> {
  const count = options.count ?? COUNT;
  await using node = await createNode("listener", {
    registry: endpoint,
    logger: silent,
  });
  const subscription = await node.subscribe(RawReadingTopic);
  {
    await using registry = await connectRegistry({ endpoint, logger: quiet });
    await subscriberListed(registry, "listener", RawReadingTopic.name);
  }
  const received = new Map<number, string | undefined>();
  const reading = (async () => {
    for await (const { message, traceparent } of subscription.messages()) {
      received.set(message.seq, traceparent);
      if (received.size === count) break;
    }
  })();
  await using player = new Zmp([
    "play",
    path,
    "--rate",
    "100",
    "--registry",
    endpoint,
    ...(options.flags ?? []),
  ]);
  assertEquals(await player.exited(), 0, player.text);
  await waitFor(() => received.size === count, `${count} played readings`, {
    timeout: 10000,
  });
  await reading;
  await subscription.close();
  return { received, text: player.text };
}

Deno.test("zmp play publishes each recorded message with the traceparent it was recorded with", async () => {
  const dir = await Deno.makeTempDir({ prefix: "zmp-play-traces-" });
  await using server = await startTestRegistry();
  try {
    const path = `${dir}/traced.mcap`;
    await record(server.endpoint, path);

    // What the recording kept: seq → traceparent.
    await using recording = await openRecording(path);
    const seqs: number[] = [];
    for await (const m of recording.messages([RawReadingTopic.name])) {
      seqs.push((parseJson(m.json) as { seq: number }).seq);
    }
    const kept = new Map<number, string>();
    for await (
      const m of recording.messages([traceChannel(RawReadingTopic.name)])
    ) {
      const { sequence, traceparent } = JSON.parse(m.json);
      kept.set(seqs[sequence], traceparent);
    }
    recording.close();
    assertEquals(kept.size, COUNT / 3);

    const { received } = await play(server.endpoint, path);
    for (let seq = 0; seq < COUNT; seq++) {
      assertEquals(received.get(seq), kept.get(seq), `reading ${seq}`);
      assertEquals(
        received.get(seq),
        traced(seq) ? traceparent(seq) : undefined,
        `reading ${seq}`,
      );
    }

    const untraced = await play(server.endpoint, path, {
      flags: ["--no-traces"],
    });
    assertEquals(
      [...untraced.received.values()].filter((t) => t !== undefined),
      [],
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("zmp play plays a message whose recorded traceparent is not one untraced, and says so", async () => {
  const dir = await Deno.makeTempDir({ prefix: "zmp-play-traces-" });
  await using server = await startTestRegistry();
  try {
    const path = `${dir}/damaged.mcap`;
    const topic: RecordedTopic = {
      topic: RawReadingTopic.name,
      typeName: RawReadingTopic.typeName,
      schema: RawReadingTopic.schema!,
      codec: "msgpack",
      latched: false,
    };
    const writer = await RecordingWriter.create(path);
    const reading = (seq: number) =>
      stringifyJson({ sensor: "s", seq, value: 1, at: new Date(0) });
    await writer.topicMessage(topic, 1n, reading(0), traceparent(0));
    await writer.topicMessage(topic, 2n, reading(1), "00-not-a-traceparent");
    await writer.topicMessage(topic, 3n, reading(2));
    await writer.close();

    const { received, text } = await play(server.endpoint, path, {
      count: 3,
    });
    assertEquals([...received].sort(([a], [b]) => a - b), [
      [0, traceparent(0)],
      [1, undefined],
      [2, undefined],
    ]);
    assertStringIncludes(
      text,
      "zmp play: 1 of 2 records of traces/sensors/raw are not { sequence, traceparent } (their messages play untraced)",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("zmp play --serve --no-traces is refused: traces are a topics option", async () => {
  await using player = new Zmp(["play", "x.mcap", "--serve", "--no-traces"]);
  assertEquals(await player.exited(), 2, player.text);
  assertStringIncludes(
    player.text,
    "--serve answers calls: --topics, --rate, --loop and --no-traces are for topics",
  );
});
