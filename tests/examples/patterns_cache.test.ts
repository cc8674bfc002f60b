/**
 * The cache example (`examples/cache/`): a slow origin, an LRU/TTL cache in
 * front of it, and a client, launched with `zmp launch`.
 *
 * @module
 */

import {
  assert,
  assertEquals,
  assertRejects,
  assertStringIncludes,
  waitFor,
} from "../_assert.ts";
import { RpcError } from "../../mod.ts";
import { Launcher, runZmp, tempDir, writeLaunch } from "../launch/_harness.ts";
import {
  CacheAdminService,
  CacheStatsTopic,
  WeatherService,
} from "../../examples/cache/cache.api.gen.ts";
import type { CacheStats } from "../../examples/cache/cache.api.ts";
import { collect, registryEndpoint, testNode } from "./_patterns.ts";

const example = (file: string) =>
  new URL(`../../examples/cache/${file}`, import.meta.url).href;

function median(values: number[]): number {
  return values.toSorted((a, b) => a - b)[Math.floor(values.length / 2)];
}

Deno.test("examples/cache/launch.ts: repeated calls are answered by the cache, misses once by the origin", async () => {
  await using launcher = new Launcher(["examples/cache/launch.ts"]);
  assertEquals(await launcher.exited(), 0, launcher.text);
  const text = launcher.text;

  const calls = launcher.lines
    .map((l) =>
      /^client +│ #\d+ (\w+) .* (cache|origin) +([\d.]+) ms$/.exec(l.text)
    )
    .filter((m) => m !== null)
    .map((m) => ({ city: m[1], from: m[2], ms: Number(m[3]) }));
  assertEquals(calls.length, 40, text);
  const cached = calls.filter((c) => c.from === "cache");
  const fetched = calls.filter((c) => c.from === "origin");
  assert(cached.length > 0 && fetched.length > 0, text);
  // The origin takes 200 ms at least; the cache answers in about 1 ms.
  assert(fetched.every((c) => c.ms >= 200), text);
  assert(median(cached.map((c) => c.ms)) < 50, text);
  // A city's first call goes to the origin.
  const seen = new Set<string>();
  for (const c of calls) {
    if (!seen.has(c.city)) assertEquals(c.from, "origin", `${c.city}: ${text}`);
    seen.add(c.city);
  }

  // The cache's counters agree with what the client saw, and every miss
  // reached the origin exactly once.
  const m = /client +│ cache stats: (\{.*\})$/m.exec(text);
  assert(m, text);
  const stats: CacheStats = JSON.parse(m[1]);
  assertEquals(stats.hits, cached.length, text);
  assertEquals(stats.misses, fetched.length, text);
  assertEquals(stats.capacity, 5);
  assertEquals(stats.size, 5);
  assert(stats.evictions > 0, `7 cities do not fit in 5 entries: ${text}`);
  assertEquals(stats.expirations, 0);
  const lookups = launcher.lines.filter((l) =>
    /^origin +│ looking up /.test(l.text)
  );
  assertEquals(lookups.length, stats.misses, text);
  assertStringIncludes(
    text,
    `client │ 40 calls: ${cached.length} from the cache (median `,
  );
  assertStringIncludes(
    text,
    "stopping: client is required and ended (exit code 0)",
  );
});

Deno.test("examples/cache: CacheAdmin.stats(), the latched cache/stats topic, LRU, TTL, clear() and `zmp call CacheAdmin.stats`", async () => {
  await using dir = await tempDir();
  const file = await writeLaunch(dir.path, {
    registry: { endpoint: "tcp://127.0.0.1:*" },
    nodes: [
      { name: "origin", module: example("origin.ts") },
      // 2 entries, fresh for 2 s.
      { name: "cache", module: example("cache.ts"), args: ["2", "2000"] },
    ],
  });
  await using launcher = new Launcher([file]);
  const endpoint = await registryEndpoint(launcher);
  await using node = await testNode("test-client", endpoint);
  const options = { timeout: 20_000, callTimeout: 5000 };
  const weather = await node.client(WeatherService, options);
  const admin = await node.client(CacheAdminService, options);
  const expected = (s: Partial<CacheStats>): CacheStats => ({
    hits: 0,
    misses: 0,
    size: 0,
    capacity: 2,
    ttl: 2000,
    evictions: 0,
    expirations: 0,
    ...s,
  });

  // Failures pass through and are not cached.
  for (let i = 0; i < 2; i++) {
    const e = await assertRejects(
      () => weather.forecast("Atlantis"),
      RpcError,
      'No weather for "Atlantis"',
    );
    assertEquals(e.code, "NOT_FOUND");
  }
  assertEquals(await admin.stats(), expected({ misses: 2 }));

  // LRU: Cairo pushes out Lima (Oslo was used since), Lima then Cairo.
  const from: string[] = [];
  for (const city of ["Oslo", "Lima", "Oslo", "Cairo", "Oslo", "Lima"]) {
    const startedAt = Date.now();
    const f = await weather.forecast(city);
    assertEquals(f.city, city);
    from.push(f.computedAt.getTime() <= startedAt ? "cache" : "origin");
  }
  assertEquals(from, [
    "origin",
    "origin",
    "cache",
    "origin",
    "cache",
    "origin",
  ]);
  const now = expected({ hits: 2, misses: 6, size: 2, evictions: 2 });
  assertEquals(await admin.stats(), now);

  // A late subscriber gets the latest counters at once: the topic is latched.
  {
    await using stats = collect(await node.subscribe(CacheStatsTopic));
    await waitFor(
      () => stats.messages.length > 0,
      "the latched cache/stats message",
    );
    assertEquals(stats.messages[0], now);
  }

  // TTL: Oslo is served from the cache until 2 s after its answer came.
  const first = await weather.forecast("Oslo");
  let refreshed = first;
  await waitFor(
    async () => {
      refreshed = await weather.forecast("Oslo");
      return refreshed.computedAt.getTime() > first.computedAt.getTime();
    },
    "Oslo to expire from the cache",
    { timeout: 10_000, interval: 100 },
  );
  const age = refreshed.computedAt.getTime() - first.computedAt.getTime();
  assert(age >= 2000, `Oslo was refreshed after ${age} ms, before its ttl`);
  const afterTtl = await admin.stats();
  assertEquals(afterTtl.expirations, 1);
  assertEquals(afterTtl.misses, 7);

  // What `zmp call CacheAdmin.stats` prints.
  const out = await runZmp(
    ["call", "CacheAdmin.stats", "--json", "--registry", endpoint],
    30_000,
  );
  assertEquals(out.code, 0, out.stderr);
  assertEquals(JSON.parse(out.stdout), await admin.stats());

  assertEquals(await admin.clear(), 2);
  assertEquals((await admin.stats()).size, 0);
});
