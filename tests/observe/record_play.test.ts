/**
 * `zmp record` and `zmp play` with real launched systems: a recording of
 * the sensors pipeline played into a fresh filter gives the same output; a
 * recording of calls serves a test suite in place of the real server.
 */

import { assert, assertEquals, waitFor } from "../_assert.ts";
import {
  connectRegistry,
  createNode,
  MetricsCollector,
  type Registry,
} from "../../mod.ts";
import { parseJson } from "../../src/wire/mod.ts";
import { RawReadingTopic } from "../../examples/sensors/sensors.api.gen.ts";
import { openRecording, traceChannel } from "../../src/observe/mcap.ts";
import { fixture, ROOT_PATH, Zmp } from "./_helpers.ts";

const silent = { debug() {}, info() {}, warn() {}, error() {} };

/** A distinct W3C traceparent per reading. */
const traceparent = (seq: number) =>
  `00-${String(seq + 1).padStart(32, "0")}-${"b7ad6b7169203331"}-01`;
const quiet = { warn() {}, error() {} };

/** Waits until `node`'s publisher of `topic` has `count` subscribers. */
async function subscribed(
  registry: Registry,
  node: string,
  topic: string,
  count: number,
): Promise<void> {
  await using collector = new MetricsCollector();
  await waitFor(
    async () => {
      const system = await collector.collect(await registry.nodes());
      const p = system.nodes.find((n) => n.node === node)?.topics.find((t) =>
        t.topic === topic && t.role === "publisher"
      );
      return p !== undefined && p.subscribers >= count;
    },
    `${count} subscribers of ${node}'s ${topic}`,
    { timeout: 30000 },
  );
}

/** Waits until the registry lists a `zmp record` subscribed to `topics`. */
async function recording(registry: Registry, topics: string[]): Promise<void> {
  await waitFor(
    async () =>
      (await registry.nodes()).some((n) =>
        n.name.startsWith("_zmp_record_") &&
        topics.every((t) => n.subscribes.some((s) => s.topic === t))
      ),
    `zmp record subscribed to ${topics.join(", ")}`,
    { timeout: 30000 },
  );
}

/** The JSON messages of a channel of a recording. */
async function messages(path: string, channel: string): Promise<unknown[]> {
  await using r = await openRecording(path);
  const out: unknown[] = [];
  for await (const m of r.messages([channel])) out.push(parseJson(m.json));
  return out;
}

Deno.test("zmp record the sensors pipeline, zmp play its raw readings into a fresh filter: the filtered output is the same", async () => {
  const dir = await Deno.makeTempDir({ prefix: "zmp-record-" });
  const first = `${dir}/pipeline.mcap`;
  const second = `${dir}/replayed.mcap`;
  const COUNT = 60;
  try {
    // 1. A filter, a recorder of both topics, then readings.
    {
      await using launch = new Zmp(["launch", fixture("filter.launch.ts")]);
      const endpoint = await launch.registry();
      await using registry = await connectRegistry({ endpoint, logger: quiet });
      await using record = new Zmp([
        "record",
        first,
        "--topics",
        "sensors/raw,sensors/filtered",
        "--registry",
        endpoint,
      ]);
      await recording(registry, ["sensors/filtered"]);
      await subscribed(registry, "filter", "sensors/filtered", 1);
      await using producer = await createNode("producer", {
        registry: endpoint,
        logger: silent,
      });
      const raw = await producer.publisher(RawReadingTopic);
      // The filter and the recorder.
      await raw.waitForSubscribers(2, { timeout: 30000 });
      let x = 7;
      for (let seq = 0; seq < COUNT; seq++) {
        x = (x * 1103515245 + 12345) % 2147483648;
        const value = Math.round((25 + 6 * (x / 1073741824 - 1)) * 10) / 10;
        // One reading in ten carries a traceparent: the recording keeps it.
        raw.publish(
          { sensor: "greenhouse", seq, value, at: new Date() },
          seq % 10 === 0 ? { traceparent: traceparent(seq) } : {},
        );
        await new Promise((r) => setTimeout(r, 5));
      }
      await using collector = new MetricsCollector();
      await waitFor(async () => {
        const s = await collector.collect(await registry.nodes());
        return s.nodes.find((n) => n.node === "filter")?.topics.find((t) =>
          t.topic === "sensors/filtered"
        )?.messages === COUNT;
      }, "the filter's output");
      await collector.close();
      await new Promise((r) => setTimeout(r, 300));
      assertEquals(await record.stop(), 0, record.text);
      assert(
        /recorded \d+ messages on 2 topics and 0 calls into/.test(record.text),
        record.text,
      );
      {
        const code = await launch.stop();
        assert(code === 0, `launch exited with ${code}:\n${launch.text}`);
      }
    }
    const recordedRaw = await messages(first, "sensors/raw");
    const recordedFiltered = await messages(first, "sensors/filtered");
    assertEquals(recordedRaw.length, COUNT);
    assertEquals(recordedFiltered.length, COUNT);
    const traces = await messages(first, traceChannel("sensors/raw")) as {
      sequence: number;
      traceparent: string;
    }[];
    assertEquals(traces.length, COUNT / 10);
    for (const { sequence, traceparent: value } of traces) {
      const { seq } = recordedRaw[sequence] as { seq: number };
      assertEquals(value, traceparent(seq));
    }

    // 2. A fresh filter; play the raw readings into it, record its output.
    {
      await using launch = new Zmp(["launch", fixture("filter.launch.ts")]);
      const endpoint = await launch.registry();
      await using registry = await connectRegistry({ endpoint, logger: quiet });
      await using record = new Zmp([
        "record",
        second,
        "--topics",
        "sensors/filtered",
        "--registry",
        endpoint,
      ]);
      await recording(registry, ["sensors/filtered"]);
      await subscribed(registry, "filter", "sensors/filtered", 1);
      await using play = new Zmp([
        "play",
        first,
        "--topics",
        "sensors/raw",
        "--rate",
        "4",
        "--registry",
        endpoint,
      ]);
      assertEquals(await play.exited(), 0, play.text);
      assert(
        play.text.includes(`played ${COUNT} messages on 1 topics`),
        play.text,
      );
      await using collector = new MetricsCollector();
      await waitFor(async () => {
        const s = await collector.collect(await registry.nodes());
        return s.nodes.find((n) => n.node === "filter")?.topics.find((t) =>
          t.topic === "sensors/filtered"
        )?.messages === COUNT;
      }, "the fresh filter's output");
      await collector.close();
      await new Promise((r) => setTimeout(r, 300));
      assertEquals(await record.stop(), 0, record.text);
      {
        const code = await launch.stop();
        assert(code === 0, `launch exited with ${code}:\n${launch.text}`);
      }
    }
    assertEquals(await messages(second, "sensors/filtered"), recordedFiltered);

    // The recording's layout, as Foxglove Studio reads it.
    await using r = await openRecording(first);
    assertEquals(r.topics.map((t) => [t.topic, t.typeName]), [
      ["sensors/filtered", "FilteredReading"],
      ["sensors/raw", "RawReading"],
    ]);
    assertEquals(r.counts.get("sensors/raw"), COUNT);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("zmp record the calls of a calculator, zmp play --serve them: a test suite passes against the stand-in", async () => {
  const dir = await Deno.makeTempDir({ prefix: "zmp-record-" });
  const file = `${dir}/calls.mcap`;
  const suite = async (endpoint: string) => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["test", "-A", fixture("calculator_suite.ts")],
      cwd: ROOT_PATH,
      env: { ZMP_REGISTRY: endpoint, NO_COLOR: "1" },
      stdin: "null",
    }).output();
    const text = new TextDecoder().decode(out.stdout) +
      new TextDecoder().decode(out.stderr);
    return { code: out.code, text };
  };
  try {
    {
      await using launch = new Zmp(["launch", fixture("calculator.launch.ts")]);
      const endpoint = await launch.registry();
      await using registry = await connectRegistry({ endpoint, logger: quiet });
      await waitFor(
        async () =>
          (await registry.nodes()).some((n) =>
            n.services.some((s) => s.name === "Calculator")
          ),
        "the calculator",
      );
      await using record = new Zmp([
        "record",
        file,
        "--services",
        "Calculator",
        "--registry",
        endpoint,
      ]);
      // The tap is open once a call shows up in the recorder's stream; the
      // calculator's metrics show the stream in flight.
      await using collector = new MetricsCollector();
      await waitFor(async () => {
        const s = await collector.collect(await registry.nodes());
        return s.nodes.find((n) => n.node === "calc")?.methods.find((m) =>
          m.method === "calls"
        )?.inFlight === 1;
      }, "the recorder's tap");
      await collector.close();
      const real = await suite(endpoint);
      assertEquals(real.code, 0, real.text);
      await new Promise((r) => setTimeout(r, 300));
      assertEquals(await record.stop(), 0, record.text);
      assert(
        /recorded 0 messages on 0 topics and 6 calls into/.test(record.text),
        record.text,
      );
      {
        const code = await launch.stop();
        assert(code === 0, `launch exited with ${code}:\n${launch.text}`);
      }
    }
    await using r = await openRecording(file);
    assertEquals(r.services.map((s) => s.name), ["Calculator"]);
    assertEquals(
      r.calls.map((c) => c.channel).sort(),
      [
        "calls/Calculator/add",
        "calls/Calculator/countdown",
        "calls/Calculator/divide",
        "calls/Calculator/evaluate",
        "calls/Calculator/sum",
      ],
    );
    r.close();

    // Only a registry and the stand-in now: no calculator server at all.
    await using registryOnly = new Zmp([
      "registry",
      "--endpoint",
      "tcp://127.0.0.1:*",
    ]);
    const endpoint = (await registryOnly.line(/(tcp:\/\/127\.0\.0\.1:\d+)/))[1];
    await using serve = new Zmp([
      "play",
      file,
      "--serve",
      "--name",
      "calc-replay",
      "--registry",
      endpoint,
    ]);
    await serve.line(/calc-replay serves Calculator from 6 recorded calls/);
    const replayed = await suite(endpoint);
    assertEquals(replayed.code, 0, replayed.text);
    // Arguments never recorded get a clear error.
    await using node = await createNode("probe", {
      registry: endpoint,
      logger: silent,
    });
    const { CalculatorService } = await import(
      "../../examples/calculator/calculator.api.gen.ts"
    );
    const calc = await node.client(CalculatorService);
    let message = "";
    try {
      await calc.add(40, 2);
    } catch (e) {
      message = `${(e as { code: string }).code}: ${(e as Error).message}`;
    }
    assertEquals(
      message,
      "NOT_FOUND: No recorded call of Calculator.add with arguments [40,2] (2 recorded calls of Calculator.add)",
    );
    await node.close();
    assertEquals(await serve.stop(), 0, serve.text);
    assertEquals(await registryOnly.stop(), 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
