/**
 * The client: asks `Weather` (the cache) for forecasts, a few popular
 * cities more often than others, one call at a time, and prints where each
 * answer came from and how long it took. A forecast computed before the
 * call started came from the cache. At the end it prints a summary and the
 * cache's own counters from `CacheAdmin.stats()`, then closes itself.
 *
 * Arguments: `[calls]` (default 40).
 *
 * @module
 */

import { defineNode } from "../../mod.ts";
import { CacheAdminService, WeatherService } from "./cache.api.gen.ts";

const CITIES = ["Paris", "London", "Lisbon", "Oslo", "Tokyo", "Lima", "Cairo"];

/** A fixed pseudo-random sequence in [0, 1), so runs repeat. */
function random(seed: number): () => number {
  let x = seed;
  return () => (x = (x * 1103515245 + 12345) % 2147483648) / 2147483648;
}

function median(values: number[]): number {
  const sorted = values.toSorted((a, b) => a - b);
  return sorted.length === 0 ? NaN : sorted[Math.floor(sorted.length / 2)];
}

export default defineNode(async (node, args) => {
  const calls = Number(args[0] ?? 40);
  const weather = await node.client(WeatherService, { callTimeout: 5000 });
  const admin = await node.client(CacheAdminService, { callTimeout: 5000 });
  const next = random(42);
  const latencies = { cache: [] as number[], origin: [] as number[] };

  for (let i = 1; i <= calls; i++) {
    // Popular cities first: the square skews picks towards the list's head.
    const city = CITIES[Math.floor(next() ** 2 * CITIES.length)];
    const startedAt = Date.now();
    const t0 = performance.now();
    const f = await weather.forecast(city);
    const ms = performance.now() - t0;
    const from = f.computedAt.getTime() <= startedAt ? "cache" : "origin";
    latencies[from].push(ms);
    console.log(
      `#${String(i).padStart(2, "0")} ${city.padEnd(7)} ${
        String(f.celsius).padStart(3)
      } °C ${f.sky.padEnd(6)}  ${from.padEnd(6)} ${
        ms.toFixed(1).padStart(6)
      } ms`,
    );
  }

  const { cache, origin } = latencies;
  console.log(
    `${calls} calls: ${cache.length} from the cache (median ${
      median(cache).toFixed(1)
    } ms), ${origin.length} from the origin (median ${
      median(origin).toFixed(1)
    } ms)`,
  );
  console.log(`cache stats: ${JSON.stringify(await admin.stats())}`);
  await node.close();
});
