/**
 * The `traceparent`s of traced topic messages in a recording: a channel
 * `traces/<topic>` beside the topic's, pointing at each traced message by
 * its sequence; untraced messages add nothing, and the topic's channel is
 * what it was.
 */

import { assertEquals } from "../_assert.ts";
import {
  openRecording,
  type RecordedTopic,
  RecordingWriter,
  traceChannel,
} from "../../src/observe/mcap.ts";

const TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

Deno.test("RecordingWriter.topicMessage() with a traceparent writes it to traces/<topic>, with the message's sequence", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/traced.mcap`;
    const topic: RecordedTopic = {
      topic: "sensors/raw",
      typeName: "RawReading",
      schema: { type: "object" },
      codec: "msgpack",
      latched: false,
    };
    const writer = await RecordingWriter.create(path);
    await writer.topicMessage(topic, 1n, '{"n":0}');
    await writer.topicMessage(topic, 2n, '{"n":1}', TRACEPARENT);
    await writer.topicMessage(topic, 3n, '{"n":2}');
    await writer.topicMessage(topic, 4n, '{"n":3}', TRACEPARENT);
    await writer.close();

    await using recording = await openRecording(path);
    assertEquals(recording.topics.map((t) => t.topic), ["sensors/raw"]);
    assertEquals(recording.counts.get("sensors/raw"), 4);
    const json = async (channel: string) => {
      const out: unknown[] = [];
      for await (const m of recording.messages([channel])) {
        out.push(JSON.parse(m.json));
      }
      return out;
    };
    assertEquals(await json("sensors/raw"), [
      { n: 0 },
      { n: 1 },
      { n: 2 },
      { n: 3 },
    ]);
    assertEquals(await json(traceChannel("sensors/raw")), [
      { sequence: 1, traceparent: TRACEPARENT },
      { sequence: 3, traceparent: TRACEPARENT },
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
