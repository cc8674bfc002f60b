/**
 * Trace context through the gateway, over real HTTP against a launched
 * system: a `traceparent` header goes with the call, the handler publishes
 * a traced topic message, and the message's `traceparent` comes back as a
 * field of its Server-Sent Event. Untraced events stay byte for byte what
 * they were.
 */

import { assert, assertEquals, waitFor } from "../_assert.ts";
import {
  launchSystem,
  post,
  readEvents,
  repo,
  ROOT,
  type SseEvent,
} from "./_harness.ts";

const CLI = new URL("src/cli/main.ts", `file://${ROOT}`).pathname;

/** Runs `zmp pub` with these arguments. */
async function zmpPub(
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, "pub", ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return { code, stdout: text.decode(stdout), stderr: text.decode(stderr) };
}

const ANNOUNCER = repo("tests/gateway/fixtures/announcer_node.ts");
const TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
const FROM_CLI = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

Deno.test("gateway: a traced topic message's traceparent is a field of its SSE event; untraced events are unchanged", async () => {
  await using system = await launchSystem(
    `    { name: "announcer", module: "${ANNOUNCER}" },\n`,
    { services: ["Announcer"], topics: ["lab/announcements"] },
  );
  const announce = (text: string, headers: Record<string, string> = {}) =>
    post(`${system.url}rpc/Announcer/announce`, [text], headers);
  const response = await fetch(`${system.url}topics/lab/announcements`);
  assertEquals(response.status, 200);
  const seen: SseEvent[] = [];
  const reading = readEvents(response, (events) => {
    seen.splice(0, seen.length, ...events);
    return events.some((e) => JSON.parse(e.data).text === "cli");
  });
  // The gateway subscribes when the stream opens: announce until it hears.
  await waitFor(
    async () => {
      assertEquals((await announce("warm-up")).status, 200);
      return seen.length > 0;
    },
    "the gateway to relay an announcement",
    { timeout: 15000, interval: 100 },
  );
  assertEquals(
    (await announce("traced", { traceparent: TRACEPARENT })).status,
    200,
  );
  assertEquals((await announce("plain")).status, 200);
  // `zmp pub --traceparent` sends one as a bridge would, and waits for the
  // gateway's subscription to connect first.
  const published = await zmpPub([
    "lab/announcements",
    '{"text": "cli"}',
    "--traceparent",
    FROM_CLI,
    "--registry",
    system.registry,
  ]);
  assertEquals(published.code, 0, published.stderr);
  const events = await reading;
  const traced = events.find((e) => JSON.parse(e.data).text === "traced");
  const plain = events.find((e) => JSON.parse(e.data).text === "plain");
  assert(traced !== undefined && plain !== undefined, JSON.stringify(events));
  // With tracing off, the handler passes the call's traceparent on as is.
  assertEquals(traced.traceparent, TRACEPARENT);
  assertEquals(
    traced.raw,
    `id: ${traced.id}\ntraceparent: ${TRACEPARENT}\ndata: {"text":"traced"}`,
  );
  assertEquals(plain.traceparent, undefined);
  assertEquals(plain.raw, `id: ${plain.id}\ndata: {"text":"plain"}`);
  const cli = events.find((e) => JSON.parse(e.data).text === "cli");
  assertEquals(cli?.traceparent, FROM_CLI);

  const bad = await zmpPub([
    "lab/announcements",
    '{"text": "bad"}',
    "--traceparent",
    "00-nope",
    "--registry",
    system.registry,
  ]);
  assertEquals(bad.code, 2);
  assertEquals(
    bad.stderr.trim(),
    'zmp pub: --traceparent must be a W3C traceparent (00-<32 hex>-<16 hex>-<2 hex>), got "00-nope" (see zmp pub --help)',
  );
});
