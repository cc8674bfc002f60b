/**
 * Whether the registry keeps memory under the soak's registry attacks
 * (issue #14), told apart from a heap that grows and plateaus. The
 * registry runs in this process (so that `gc()` can be forced), its
 * clients in others: a healthy node heartbeating (ttl 1 s), a good client
 * (`_good_client.ts`: a watch, `nodes()` every 20 ms), and per round the
 * three attacks of `bench:soak` on the registry in turn (`watches` 16,384
 * over 16 connections, `nodes` 3,000, `register` 3 MB), each held
 * `--hold` ms then killed.
 *
 * After each round, without forcing a collection: RSS, the V8 heap's
 * capacity (`heapTotal`) and use, and RSS minus capacity (native memory:
 * code, buffers, malloc). At the start, halfway and at the end, the heap
 * used after `gc()`: what the registry really holds.
 *
 *     deno task bench:soak:memory [--rounds 20] [--hold 2000]
 *
 * @module
 */

import { parseArgs } from "node:util";
import { startRegistry } from "../../mod.ts";
import { ClientProcess } from "../../tests/registry/_helpers.ts";
import { Child, startAttacker } from "../../tests/abuse/_harness.ts";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "20" },
    hold: { type: "string", default: "2000" },
  },
  strict: true,
});
const rounds = Number(values.rounds);
const hold = Number(values.hold);
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined || !(rounds >= 2) || !(hold > 0)) {
  console.error(
    "usage: deno run -A --v8-flags=--expose-gc bench/soak/memory.ts [--rounds N>=2] [--hold ms]",
  );
  Deno.exit(2);
}
const ATTACKS = [
  { mode: "watches", count: 16384, connections: 16 },
  { mode: "nodes", count: 3000 },
  { mode: "register", count: 1 },
];
const MiB = 1024 * 1024;
const mib = (n: number) => Number((n / MiB).toFixed(2));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function heapAfterGc(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc!();
    await sleep(50);
  }
  return Deno.memoryUsage().heapUsed;
}

await using registry = await startRegistry({
  endpoint: "tcp://127.0.0.1:*",
  ttl: 1000,
  logger: { warn: () => {}, error: (m) => console.error(m) },
});
await using _healthy = await ClientProcess.start(registry.endpoint, "healthy");
await using good = new Child([
  "run",
  "-A",
  new URL("_good_client.ts", import.meta.url).pathname,
  registry.endpoint,
]);
await good.waitLine((l) => l === "ready", "the good client");

const afterGc: Record<string, number> = { 0: mib(await heapAfterGc()) };
const native: number[] = [];
const t0 = performance.now();
for (let r = 1; r <= rounds; r++) {
  for (const a of ATTACKS) {
    const attacker = await startAttacker(a.mode, registry.endpoint, a);
    await sleep(hold);
    await attacker.kill();
  }
  await sleep(2000); // the attackers' watches and connections end
  const m = Deno.memoryUsage();
  native.push(mib(m.rss - m.heapTotal));
  console.error(
    `round ${r} ${((performance.now() - t0) / 60_000).toFixed(1)} min: rss ${
      mib(m.rss)
    } MiB, heap ${mib(m.heapUsed)} used of ${mib(m.heapTotal)}, native ${
      native.at(-1)
    }, watchers ${registry.watchers}`,
  );
  if (r === Math.floor(rounds / 2) || r === rounds) {
    afterGc[r] = mib(await heapAfterGc());
    console.error(`round ${r}: heap used after gc() ${afterGc[r]} MiB`);
  }
}
console.log(JSON.stringify({ heapUsedAfterGcMiB: afterGc, nativeMiB: native }));
