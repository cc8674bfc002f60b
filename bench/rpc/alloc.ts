/**
 * What an RPC server allocates per message it receives and answers (issue
 * #14: a flood's scavenges are the good clients' p99). The server runs in
 * a child process of this script; a client process (`_alloc_peer.ts`, a
 * raw DEALER) sends it rounds of messages, at most 64 ahead of the
 * replies, and waits for every reply:
 *
 * - `malformed`: a 4-byte garbage frame, answered by an ERROR (the log
 *   limiter lets one line through per interval);
 * - `valid`: `Calculator.echo` calls of 16 bytes.
 *
 *     deno run -A bench/rpc/alloc.ts [--count 20000] [--scavenge-count 100000]
 *       [--kinds malformed,valid] [--json]
 *
 * (`--scavenge-count 0` skips the scavenges; `tests/rpc/alloc.test.ts`
 * checks a budget of bytes with it.)
 *
 * Per kind, two figures, each from its own server process, after a
 * warm-up round:
 * - bytes of JS heap per message: `heapUsed` after a forced gc and after a
 *   round of `--count` messages, with a young generation (256 MB) larger
 *   than the round allocates, so that no gc runs in between (checked);
 * - scavenges per 100,000 messages, with V8's default heap: V8's
 *   `--trace-gc` lines during a round of `--scavenge-count` messages
 *   (between the forced gcs that frame it), and the longest of them.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { RpcServer } from "../../mod.ts";
import { forEachLine } from "../../tests/_lines.ts";
import { Calculator, Notes } from "../../tests/rpc/fixtures/services.ts";
import {
  calculatorImpl,
  notesImpl,
  observations,
} from "../../tests/rpc/fixtures/calculator_impl.ts";

const { values } = parseArgs({
  options: {
    count: { type: "string", default: "20000" },
    "scavenge-count": { type: "string", default: "100000" },
    kinds: { type: "string", default: "malformed,valid" },
    json: { type: "boolean" },
    server: { type: "string" },
  },
});
const kinds = values.kinds.split(",");
for (const kind of kinds) {
  if (kind !== "malformed" && kind !== "valid") {
    console.error(`alloc.ts: unknown kind ${JSON.stringify(kind)}`);
    Deno.exit(2);
  }
}

/** Runs rounds against a server in this process; prints `heap K B A`. */
async function serve(count: number): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc!;
  const logged: string[] = [];
  const keep = (line: string) => {
    if (logged.length < 100) logged.push(line);
  };
  const server = new RpcServer({
    logger: {
      warn: (m) => keep(`warn ${m}`),
      error: (m) => keep(`error ${m}`),
    },
  });
  server.register(Calculator, calculatorImpl(observations()));
  server.register(Notes, notesImpl);
  const endpoint = server.bind("tcp://127.0.0.1:*");
  const peer = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("_alloc_peer.ts", import.meta.url).pathname,
      endpoint,
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const stdin = peer.stdin.getWriter();
  const waiting: (() => void)[] = [];
  const reading = forEachLine(peer.stdout, (line) => {
    if (line === "done") waiting.shift()?.();
  });
  const encoder = new TextEncoder();
  const round = async (kind: string) => {
    const done = new Promise<void>((r) => waiting.push(r));
    await stdin.write(encoder.encode(`${kind} ${count}\n`));
    await done;
  };
  try {
    for (const kind of kinds) {
      await round(kind);
      gc();
      gc();
      const before = Deno.memoryUsage().heapUsed;
      await round(kind);
      const after = Deno.memoryUsage().heapUsed;
      gc();
      console.error(`heap ${kind} ${before} ${after}`);
    }
  } finally {
    await stdin.close();
    await reading;
    await peer.status;
    await server.close();
  }
}

if (values.server !== undefined) {
  await serve(Number(values.server));
  Deno.exit(0);
}

/** A server child with these V8 flags; its stdout and stderr lines. */
async function child(
  v8: string,
  count: string,
): Promise<{ out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const p = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      `--v8-flags=--expose-gc,${v8}`,
      new URL(import.meta.url).pathname,
      "--kinds",
      values.kinds,
      "--server",
      count,
    ],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  await Promise.all([
    forEachLine(p.stdout, (l) => out.push(l)),
    forEachLine(p.stderr, (l) => err.push(l)),
  ]);
  const status = await p.status;
  if (!status.success) {
    throw new Error(`alloc.ts: the server failed:\n${err.join("\n")}`);
  }
  return { out, err };
}

interface Figures {
  /** Bytes of heap per message. */
  bytes: number;
  /** Scavenges per 100,000 messages. */
  scavenges: number;
  /** The longest scavenge of the round, ms. */
  longest: number;
}
const results: Record<string, Figures> = {};

const heap = await child(
  "--min-semi-space-size=256,--max-semi-space-size=256,--trace-gc",
  values.count,
);
// `--scavenge-count 0`: bytes only (the test of the budget).
const traced = values["scavenge-count"] === "0"
  ? { out: [] }
  : await child("--trace-gc", values["scavenge-count"]);
for (const [i, kind] of kinds.entries()) {
  const [, , before, after] = heap.err.find((l) =>
    l.startsWith(`heap ${kind} `)
  )!.split(" ");
  // Three forced gcs per kind ("testing"): the round is between the
  // second and the third.
  const during = (out: string[]) => {
    const testing = out.flatMap((l, at) => l.includes("testing") ? [at] : []);
    return out.slice(testing[3 * i + 1] + 1, testing[3 * i + 2])
      .filter((l) => l.includes(" Scavenge "));
  };
  if (during(heap.out).length > 0) {
    throw new Error(
      `alloc.ts: a gc ran during the ${kind} round: lower --count`,
    );
  }
  const scavenges = during(traced.out);
  const pause = (l: string) => Number(/, ([\d.]+) \/ [\d.]+ ms/.exec(l)?.[1]);
  results[kind] = {
    bytes: (Number(after) - Number(before)) / Number(values.count),
    scavenges: values["scavenge-count"] === "0"
      ? NaN
      : scavenges.length * 100_000 / Number(values["scavenge-count"]),
    longest: Math.max(0, ...scavenges.map(pause)),
  };
}
if (values.json) console.log(JSON.stringify(results));
else {
  for (const [kind, f] of Object.entries(results)) {
    console.log(
      `${kind}: ${f.bytes.toFixed(0)} bytes of heap per message; ${
        f.scavenges.toFixed(0)
      } scavenges per 100k messages, the longest ${f.longest.toFixed(1)} ms`,
    );
  }
}
