/**
 * The cache example: a slow weather origin, a cache in front of it that
 * callers use instead, and the cache's admin service and stats topic.
 *
 * `deno task codegen` turns this file into `cache.api.gen.ts` and
 * `cache.api.schema.json`.
 *
 * @module
 */

/** A forecast for one city. */
export interface Forecast {
  /** The city asked for. */
  city: string;
  /** Temperature, in °C. */
  celsius: number;
  /** The sky. */
  sky: "clear" | "cloudy" | "rain" | "snow";
  /** When the origin computed it: older than the call means it came from a cache. */
  computedAt: Date;
}

/**
 * The slow origin: every answer takes 200 to 500 ms.
 * @service
 */
export interface WeatherOrigin {
  /**
   * The forecast for `city`; `NOT_FOUND` for a city it does not know.
   * @idempotent
   */
  forecast(city: string): Promise<Forecast>;
}

/**
 * What callers use: the origin's method, answered from the cache when it
 * can.
 * @service
 */
export interface Weather {
  /**
   * The forecast for `city`; `NOT_FOUND` for a city the origin does not
   * know.
   * @idempotent
   */
  forecast(city: string): Promise<Forecast>;
}

/**
 * The cache's counters, also published (latched) on every change.
 * @topic cache/stats
 */
export interface CacheStats {
  /** Answers served from the cache. */
  hits: number;
  /** Answers that went to the origin. */
  misses: number;
  /** Entries held now. */
  size: number;
  /** The most entries held; the least recently used one goes first. */
  capacity: number;
  /** How long an entry stays fresh, in ms. */
  ttl: number;
  /** Entries dropped to make room. */
  evictions: number;
  /** Entries dropped because they were stale. */
  expirations: number;
}

/**
 * The cache's admin interface.
 * @service
 */
export interface CacheAdmin {
  /** The counters now. */
  stats(): Promise<CacheStats>;
  /** Empties the cache; returns how many entries it dropped. */
  clear(): Promise<number>;
}
