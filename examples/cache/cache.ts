/**
 * The cache: provides `Weather`, the service callers use, and answers from
 * an LRU cache whose entries stay fresh for `ttl` ms after the answer came;
 * misses go to the slow `WeatherOrigin` through `node.client`. A call for a
 * city already on its way from the origin waits for that answer instead of
 * asking again; failures are not cached.
 *
 * Its counters are served by `CacheAdmin.stats()` and published, latched,
 * on `cache/stats` at every change.
 *
 * Arguments: `[capacity] [ttl in ms]` (default 5 and 30000).
 *
 * @module
 */

import { defineNode } from "../../mod.ts";
import {
  type CacheAdminHandlers,
  CacheAdminService,
  CacheStatsTopic,
  type WeatherHandlers,
  WeatherOriginService,
  WeatherService,
} from "./cache.api.gen.ts";
import type { CacheStats, Forecast } from "./cache.api.ts";

interface Entry {
  forecast: Promise<Forecast>;
  /** `Date.now()` after which it is stale: `ttl` after the answer came. */
  expires: number;
}

export default defineNode(async (node, args) => {
  const capacity = Number(args[0] ?? 5);
  const ttl = Number(args[1] ?? 30_000);
  const origin = await node.client(WeatherOriginService, { callTimeout: 5000 });
  const topic = await node.publisher(CacheStatsTopic, { latched: true });

  // A Map iterates in insertion order: re-inserting on use keeps the least
  // recently used entry first.
  const entries = new Map<string, Entry>();
  const stats: CacheStats = {
    hits: 0,
    misses: 0,
    size: 0,
    capacity,
    ttl,
    evictions: 0,
    expirations: 0,
  };
  const changed = () => {
    stats.size = entries.size;
    topic.publish({ ...stats });
  };

  const weather: WeatherHandlers = {
    forecast(city) {
      const now = Date.now();
      const entry = entries.get(city);
      if (entry !== undefined) {
        entries.delete(city);
        if (entry.expires > now) {
          entries.set(city, entry);
          stats.hits++;
          changed();
          return entry.forecast;
        }
        stats.expirations++;
      }
      stats.misses++;
      const forecast = origin.forecast(city);
      const added: Entry = { forecast, expires: Infinity };
      entries.set(city, added);
      for (const oldest of entries.keys()) {
        if (entries.size <= capacity) break;
        entries.delete(oldest);
        stats.evictions++;
      }
      changed();
      // Fresh for `ttl` from the answer on; failures are not cached.
      forecast.then(() => {
        added.expires = Date.now() + ttl;
      }, () => {
        if (entries.get(city) === added) entries.delete(city);
        changed();
      });
      return forecast;
    },
  };

  const admin: CacheAdminHandlers = {
    stats: () => ({ ...stats, size: entries.size }),
    clear() {
      const dropped = entries.size;
      entries.clear();
      changed();
      return dropped;
    },
  };

  await node.provide(WeatherService, weather);
  await node.provide(CacheAdminService, admin);
  changed();
  console.log(
    `caching WeatherOrigin: ${capacity} entries, fresh for ${ttl / 1000} s`,
  );
});
