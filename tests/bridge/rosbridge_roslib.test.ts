/**
 * The rosbridge v2 server driven by the real npm `roslib` client, against
 * examples/rosbridge/ launched by `zmp launch` (the calculator, the
 * sensors filter with its params, the rosbridge node): every operation,
 * and its errors.
 */

import * as ROSLIB from "roslib";
import {
  assert,
  assertEquals,
  assertMatch,
  assertStringIncludes,
  waitFor,
} from "../_assert.ts";
import { Launcher, runZmp, type ZmpOutput } from "../launch/_harness.ts";
import { connectRegistry } from "../../mod.ts";

const LAUNCH = new URL("../../examples/rosbridge/launch.ts", import.meta.url)
  .pathname;

type Message = Record<string, unknown>;

/** A connected roslib client that also records every message it receives. */
async function connect(
  url: string,
): Promise<{ ros: ROSLIB.Ros; seen: Message[] }> {
  const ros = new ROSLIB.Ros({});
  const seen: Message[] = [];
  // Every message roslib receives goes through handleMessage (private in
  // its types, public at run time): record them, to see status messages.
  const inner = ros as unknown as { handleMessage(m: unknown): void };
  const handle = inner.handleMessage.bind(ros);
  inner.handleMessage = (m) => {
    seen.push(m as Message);
    handle(m);
  };
  const open = new Promise((resolve, reject) => {
    ros.once("connection", resolve);
    ros.once("error", reject);
  });
  await ros.connect(url);
  await open;
  return { ros, seen };
}

/** roslib's callback API as a promise: resolves or rejects with its string. */
function call<T>(
  fn: (ok: (v: T) => void, fail: (e: string) => void) => void,
): Promise<T> {
  return new Promise((resolve, reject) =>
    fn(resolve, (e) => reject(new Error(e)))
  );
}

async function failure(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error("expected the call to fail");
}

function ok(r: ZmpOutput): string {
  assertEquals(r.code, 0, `stdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r.stdout;
}

Deno.test("rosbridge: roslib drives a launched zmp system", async (t) => {
  await using launch = new Launcher(["--no-check", LAUNCH]);
  const [, endpoint] = await launch.line(/registry listening on (\S+)/);
  const [, url] = await launch.line(/rosbridge listening on (ws:\S+)/, 30000);
  await using registry = await connectRegistry({ endpoint });
  await waitFor(
    async () => {
      const nodes = await registry.nodes();
      return nodes.some((n) => n.name === "calc" && n.services.length > 0) &&
        nodes.some((n) => n.name === "filter" && n.subscribes.length > 0) &&
        await registry.params.get("filter.alpha") !== undefined;
    },
    "calc and filter to register",
    { timeout: 20000 },
  );
  const zmp = (...args: string[]) => runZmp([...args, "--registry", endpoint]);
  const { ros, seen } = await connect(url);

  try {
    await t.step("rosapi: topics, services, nodes, node_details", async () => {
      const topics = await call<{ topics: string[]; types: string[] }>((a, b) =>
        ros.getTopics(a, b)
      );
      assertEquals(topics.topics, ["/sensors/filtered", "/sensors/raw"]);
      assertEquals(topics.types, ["zmp/FilteredReading", "zmp/RawReading"]);
      const services = await call<string[]>((a, b) => ros.getServices(a, b));
      for (
        const s of ["/Calculator/add", "/Calculator/evaluate", "/rosapi/topics"]
      ) assert(services.includes(s), `${s} in ${services}`);
      assert(
        services.includes("/Calculator/countdown"),
        "streams are listed too",
      );
      const nodes = await call<string[]>((a, b) => ros.getNodes(a, b));
      for (const n of ["/calc", "/filter", "/rosbridge"]) {
        assert(nodes.includes(n), `${n} in ${nodes}`);
      }
      const filter = await call<
        { publishing: string[]; subscribing: string[] }
      >(
        (a, b) => ros.getNodeDetails("/filter", a, b),
      );
      assertEquals(filter.publishing, ["/sensors/filtered"]);
      assertEquals(filter.subscribing, ["/sensors/raw"]);
      assertMatch(
        await failure(call((a, b) => ros.getNodeDetails("/nobody", a, b))),
        /no live node is named "nobody"/,
      );
    });

    await t.step(
      "rosapi: topic_type, service_type, message_details",
      async () => {
        assertEquals(
          await call((a, b) => ros.getTopicType("sensors/raw", a, b)),
          "zmp/RawReading",
        );
        assertEquals(
          await call((a, b) => ros.getServiceType("/Calculator/add", a, b)),
          "zmp/Calculator_add",
        );
        const defs = await call<ROSLIB.rosapi.TypeDef[]>((a, b) =>
          ros.getMessageDetails("zmp/RawReading", a, b)
        );
        assertEquals(defs[0].type, "zmp/RawReading");
        assertEquals(defs[0].fieldnames, ["sensor", "seq", "value", "at"]);
        assertEquals(defs[0].fieldtypes, [
          "string",
          "float64",
          "float64",
          "string",
        ]);
        const request = await call<{ typedefs: ROSLIB.rosapi.TypeDef[] }>((
          a,
          b,
        ) => ros.getServiceRequestDetails("zmp/Calculator_add", a, b));
        assertEquals(request.typedefs[0].fieldnames, ["a", "b"]);
        assertMatch(
          await failure(
            call((a, b) => ros.getMessageDetails("zmp/Nope", a, b)),
          ),
          /no live topic or service uses type zmp\/Nope/,
        );
      },
    );

    await t.step(
      "rosapi params: get, set, delete, names (JSON text both ways)",
      async () => {
        const alpha = new ROSLIB.Param({ ros, name: "/filter/alpha" });
        assertEquals(await call((a, b) => alpha.get(a, b)), 0.05);
        await call((a, b) => alpha.set(0.5, a, b));
        assertEquals(ok(await zmp("param", "get", "filter.alpha")), "0.5\n");
        await waitFor(
          () => launch.text.includes("filter.alpha: 0.05 → 0.5"),
          "the filter to follow the new alpha",
          { timeout: 10000 },
        );
        // Checked against the filter's @params type: no string for a number.
        const bad = await failure(call((a, b) => alpha.set("high", a, b)));
        assertStringIncludes(bad, "Invalid value for param /filter/alpha");
        assertEquals(ok(await zmp("param", "get", "filter.alpha")), "0.5\n");
        const names = await call<string[]>((a, b) => ros.getParams(a, b));
        assertEquals(names, ["/filter/alpha", "/filter/threshold"]);
        const extra = new ROSLIB.Param({ ros, name: "web/note" });
        await call((a, b) => extra.set({ hello: "zmp" }, a, b));
        assertEquals(JSON.parse(ok(await zmp("param", "get", "web.note"))), {
          hello: "zmp",
        });
        await call((a, b) => extra.delete(a, b));
        assertEquals((await zmp("param", "get", "web.note")).code, 1);
        assertEquals(await call((a, b) => extra.get(a, b)), null);
      },
    );

    await t.step(
      "call_service: a zmp method, with and without the slash",
      async () => {
        for (const name of ["/Calculator/add", "Calculator/add"]) {
          const add = new ROSLIB.Service({
            ros,
            name,
            serviceType: "zmp/Calculator_add",
          });
          assertEquals(
            await call((a, b) => add.callService({ a: 2, b: 3 }, a, b)),
            {
              result: 5,
            },
          );
        }
        const evaluate = new ROSLIB.Service<
          unknown,
          { result: { value: number; computedAt: string } }
        >({
          ros,
          name: "/Calculator/evaluate",
          serviceType: "zmp/Calculator_evaluate",
        });
        const r = await call<{ result: { value: number; computedAt: string } }>(
          (a, b) =>
            evaluate.callService(
              {
                request: { expression: { op: "num", value: 4 }, precision: 1 },
              },
              a,
              b,
            ),
        );
        assertEquals(r.result.value, 4);
        assert(
          !Number.isNaN(Date.parse(r.result.computedAt)),
          "a Date as ISO text",
        );
      },
    );

    await t.step(
      "call_service failures: result false, the error in values",
      async () => {
        const divide = new ROSLIB.Service({
          ros,
          name: "/Calculator/divide",
          serviceType: "zmp/Calculator_divide",
        });
        assertEquals(
          await failure(
            call((a, b) => divide.callService({ a: 1, b: 0 }, a, b)),
          ),
          "INVALID_ARGUMENT: Cannot divide by zero",
        );
        assertEquals(
          await failure(
            call((a, b) => divide.callService({ a: 1, b: "x" }, a, b)),
          ),
          'Invalid request for /Calculator/divide: args[1]: expected number, got string "x"',
        );
        assertEquals(
          await failure(
            call((a, b) => divide.callService({ a: 1, c: 2 }, a, b)),
          ),
          '/Calculator/divide has no request field "c" (fields: a, b)',
        );
        const nope = new ROSLIB.Service({
          ros,
          name: "/Abacus/add",
          serviceType: "",
        });
        assertMatch(
          await failure(call((a, b) => nope.callService({}, a, b))),
          /no live zmp service answers \/Abacus\/add/,
        );
      },
    );

    await t.step(
      "advertise, publish, subscribe, unsubscribe, unadvertise",
      async () => {
        const filtered = new ROSLIB.Topic<Message>({
          ros,
          name: "sensors/filtered",
          messageType: "zmp/FilteredReading",
        });
        const heard: Message[] = [];
        filtered.subscribe((m) => heard.push(m));
        const raw = new ROSLIB.Topic({
          ros,
          name: "/sensors/raw",
          messageType: "zmp/RawReading",
        });
        raw.advertise();
        await waitFor(
          async () => {
            const nodes = await registry.nodes();
            const bridge = nodes.find((n) => n.name === "rosbridge");
            return bridge?.publishes.some((p) => p.topic === "sensors/raw") &&
              bridge.subscribes.some((s) => s.topic === "sensors/filtered");
          },
          "the rosbridge node to publish and subscribe",
          { timeout: 10000 },
        );
        // Until the filter hears one (its subscription connects meanwhile).
        let seq = 0;
        await waitFor(
          () => {
            raw.publish({
              sensor: "web",
              seq: seq++,
              value: 30,
              at: new Date().toISOString(),
            });
            return heard.length > 0;
          },
          "a filtered reading",
          { timeout: 10000, interval: 100 },
        );
        assertEquals(heard[0].sensor, "web");
        assertEquals(heard[0].raw, 30);
        // Every message carries the name the client subscribed with.
        assert(
          seen.some((m) =>
            m.op === "publish" && m.topic === "sensors/filtered"
          ),
          "topic echoed as the client wrote it",
        );

        // A message that does not fit RawReading is refused with a status,
        // like any zmp publisher's, and never reaches the filter.
        raw.publish({ sensor: "bad", seq: "one", value: 30 });
        await waitFor(
          () =>
            seen.some((m) =>
              m.op === "status" && String(m.msg).includes("seq")
            ),
          "a status error for the bad message",
        );
        const status = seen.find((m) => m.op === "status")!;
        assertEquals(status.level, "error");
        assertMatch(
          String(status.msg),
          /^Invalid message for topic sensors\/raw \(zmp\/RawReading\): msg\.seq: expected number, got string "one"/,
        );
        assertMatch(String(status.id), /^publish:\/sensors\/raw:/);
        // A good message sent after it arrives; the bad one never did.
        raw.publish({
          sensor: "last",
          seq: 999,
          value: 30,
          at: new Date().toISOString(),
        });
        await waitFor(
          () => heard.some((m) => m.sensor === "last"),
          "the message after the bad one",
        );
        assert(
          !heard.some((m) => m.sensor === "bad"),
          "the bad message crossed",
        );

        filtered.unsubscribe();
        raw.unadvertise();
        await waitFor(
          async () => {
            const bridge = (await registry.nodes()).find((n) =>
              n.name === "rosbridge"
            );
            return bridge?.publishes.length === 0 &&
              bridge.subscribes.length === 0;
          },
          "the rosbridge node to drop its publisher and subscription",
          {
            timeout: 10000,
          },
        );
      },
    );

    await t.step(
      "advertise_service: two browser-side services zmp nodes call",
      async () => {
        const sum = new ROSLIB.Service<
          { a: number; b: number },
          { result: number }
        >({
          ros,
          name: "/Browser/sum",
          serviceType: "zmp/Browser_sum",
        });
        await sum.advertise((request, response) => {
          response.result = request.a + request.b;
          return true;
        });
        const greet = new ROSLIB.Service<{ name: string }, { result: string }>({
          ros,
          name: "Browser/greet",
          serviceType: "zmp/Browser_greet",
        });
        await greet.advertiseAsync(({ name }) => {
          if (name === "") return Promise.reject(new Error("who?"));
          return Promise.resolve({ result: `hello ${name}, from the page` });
        });
        assertEquals(
          ok(await zmp("call", "Browser.sum", "2", "3", "--wait")),
          "5\n",
        );
        assertEquals(
          JSON.parse(ok(await zmp("call", "Browser.greet", "Ada"))),
          "hello Ada, from the page",
        );
        const failed = await zmp("call", "Browser.greet", '""');
        assertEquals(failed.code, 1);
        assertEquals(
          failed.stderr,
          "zmp call: UNKNOWN: Browser/greet failed in the rosbridge client: Error: who?\n",
        );
        // A zmp type check applies on the way in: sum takes numbers.
        assertEquals((await zmp("call", "Browser.sum", "2", '"x"')).code, 2);
        // The services are listed like any other, through rosapi too.
        const services = await call<string[]>((a, b) => ros.getServices(a, b));
        assert(services.includes("/Browser/sum"), `${services}`);

        await greet.unadvertise();
        await waitFor(
          async () => (await zmp("call", "Browser.greet", "Ada")).code === 1,
          "Browser.greet to stop answering",
          { timeout: 10000, interval: 200 },
        );
        assertEquals(ok(await zmp("call", "Browser.sum", "4", "5")), "9\n");
        await sum.unadvertise();
        await waitFor(
          async () => {
            const nodes = await registry.nodes();
            return !nodes.some((n) =>
              n.services.some((s) => s.name === "Browser")
            );
          },
          "Browser to leave the registry",
          { timeout: 10000 },
        );
      },
    );

    await t.step("advertise_service errors come back as a status", async () => {
      const unknown = new ROSLIB.Service({
        ros,
        name: "/Toaster/toast",
        serviceType: "zmp/Toaster_toast",
      });
      const count = seen.length;
      await unknown.advertise(() => true);
      await waitFor(
        () => seen.slice(count).some((m) => m.op === "status"),
        "a status error",
      );
      const status = seen.slice(count).find((m) => m.op === "status")!;
      assertStringIncludes(
        String(status.msg),
        "cannot advertise Toaster.toast: its type is unknown",
      );
    });
  } finally {
    ros.close();
  }
});
