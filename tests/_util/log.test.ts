/**
 * The one log helper: escaping, quoting up to a length, and the per-peer
 * rate limit with its summary lines.
 */

import { assert, assertEquals, assertThrows } from "../_assert.ts";
import {
  count,
  escapeJson,
  escapeText,
  LogLimiter,
  quote,
} from "../../src/_util/log.ts";

/** Characters a terminal acts on, or hides text with. */
const UNSAFE = [
  "\u0000",
  "\u0007",
  "\b",
  "\n",
  "\r",
  "\u001b",
  "\u007f",
  "\u009b",
  "\u202e",
  "\u2066",
  "\u200b",
  "\ufeff",
  "\ud800",
];

Deno.test("escapeText() leaves no control, C1 or bidi character raw", () => {
  for (const c of UNSAFE) {
    const out = escapeText(`a${c}b`);
    assert(!out.includes(c), `${JSON.stringify(c)} stayed raw in ${out}`);
    assert(out.startsWith("a\\") && out.endsWith("b"), out);
  }
  assertEquals(escapeText("red\u001b[31m\nline"), "red\\e[31m\\nline");
  assertEquals(escapeText("nul\u0000 del\u007f"), "nul\\x00 del\\x7f");
  assertEquals(escapeText("rtl\u202eevil"), "rtl\\u202eevil");
  // Text, accents, emoji and paired surrogates stay as they are.
  assertEquals(escapeText("héllo 😀 tab-free"), "héllo 😀 tab-free");
});

Deno.test("escapeText() cuts long text and says how much was left out", () => {
  assertEquals(escapeText("x".repeat(10), 4), "xxxx… (6 more characters)");
  const big = "y".repeat(10_000_000);
  const out = escapeText(big, 100);
  assertEquals(out, `${"y".repeat(100)}… (9,999,900 more characters)`);
});

Deno.test("quote() quotes, escapes quotes and controls, and cuts", () => {
  assertEquals(quote('a"b\\c\u0000'), '"a\\"b\\\\c\\x00"');
  assertEquals(
    quote("z".repeat(130)),
    `"${"z".repeat(120)}"… (10 more characters)`,
  );
  assertEquals(quote(42), '"42"');
});

Deno.test("escapeJson() escapes what JSON leaves raw and keeps the value", () => {
  const value = { s: "a\u009b[31m\u202eb\u007f", n: 1 };
  const text = escapeJson(JSON.stringify(value));
  for (const c of ["\u009b", "\u202e", "\u007f"]) assert(!text.includes(c));
  assertEquals(JSON.parse(text), value);
});

Deno.test("LogLimiter writes one line per kind per peer, then a count", () => {
  const lines: string[] = [];
  const log = new LogLimiter({
    warn: (m) => lines.push(`warn ${m}`),
    error: (m) => lines.push(`error ${m}`),
  });
  try {
    for (let i = 0; i < 5000; i++) {
      log.warn("malformed requests", "peer 0a1b", `bad message #${i}`);
      log.warn("malformed requests", "peer ffff", `bad from ffff #${i}`);
    }
    log.error("handler failures", "peer 0a1b", "boom");
    assertEquals(lines, [
      "warn bad message #0",
      "warn bad from ffff #0",
      "error boom",
    ]);
  } finally {
    log.close();
  }
  assertEquals(lines.slice(3).sort(), [
    "warn … 4,999 more malformed requests from peer 0a1b in the last 10 s",
    "warn … 4,999 more malformed requests from peer ffff in the last 10 s",
  ]);
});

Deno.test("LogLimiter writes the summary when the interval ends, then lines again", async () => {
  const lines: string[] = [];
  const log = new LogLimiter(
    { warn: (m) => lines.push(m), error: (m) => lines.push(m) },
    { interval: 50 },
  );
  try {
    for (let i = 0; i < 100; i++) log.warn("pings", "peer p", `ping ${i}`);
    const deadline = Date.now() + 5000;
    while (lines.length < 2 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
    assertEquals(lines, [
      "ping 0",
      "… 99 more pings from peer p in the last 0.1 s",
    ]);
    log.warn("pings", "peer p", "ping again");
    assertEquals(lines.at(-1), "ping again");
  } finally {
    log.close();
  }
});

Deno.test("LogLimiter bounds the lines of many peers: the others share one", () => {
  const lines: string[] = [];
  const log = new LogLimiter(
    { warn: (m) => lines.push(m), error: (m) => lines.push(m) },
    { maxPeers: 4 },
  );
  for (let i = 0; i < 1000; i++) log.warn("bad frames", `peer${i}`, `#${i}`);
  log.close();
  assertEquals(lines, [
    "#0",
    "#1",
    "#2",
    "#3",
    "#4",
    "… 995 more bad frames from other peers in the last 10 s",
  ]);
});

Deno.test("LogLimiter escapes every line and keeps a stack's frames, escaped", () => {
  const lines: string[] = [];
  const log = new LogLimiter({
    warn: (m) => lines.push(m),
    error: (m) => lines.push(m),
  });
  const e = new Error("bad\u001b[2J");
  log.error("failures", "x", `failed: ${e.message}\nforged line`, e.stack);
  log.close();
  const [first, ...frames] = lines[0].split("\n");
  assertEquals(first, "failed: bad\\e[2J\\nforged line");
  assert(frames.length > 0 && frames.every((f) => f.startsWith("    at ")));
  assert(!lines[0].includes("\u001b"));
});

Deno.test("LogLimiter rejects a bad interval", () => {
  assertThrows(
    () => new LogLimiter(console, { interval: 0 }),
    RangeError,
    "interval and maxPeers must be positive",
  );
});

Deno.test('count() groups thousands with commas, as toLocaleString("en-US") does', () => {
  for (const n of [0, 7, 999, 1000, 4999, 12345, 999999, 1234567, -1234]) {
    assertEquals(count(n), n.toLocaleString("en-US"));
  }
});
