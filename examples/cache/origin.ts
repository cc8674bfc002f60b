/**
 * The origin: a slow weather service. Each answer takes 200 to 500 ms (the
 * same delay for the same city), like a remote API or a database query.
 * It prints every lookup, so the launcher's output shows how few reach it.
 *
 * @module
 */

import { defineNode, RpcError } from "../../mod.ts";
import {
  type WeatherOriginHandlers,
  WeatherOriginService,
} from "./cache.api.gen.ts";
import type { Forecast } from "./cache.api.ts";

/** The cities it knows, with a typical temperature. */
const CITIES: Record<string, number> = {
  Lisbon: 21,
  Madrid: 24,
  Paris: 16,
  London: 14,
  Berlin: 13,
  Oslo: 6,
  Tokyo: 19,
  Lima: 18,
  Cairo: 29,
  Sydney: 22,
};
const SKIES: Forecast["sky"][] = ["clear", "cloudy", "rain", "snow"];

/** A small stable hash of a string. */
function hash(text: string): number {
  let h = 7;
  for (const c of text) h = (h * 31 + c.charCodeAt(0)) % 1000003;
  return h;
}

/** Waits `ms`, or rejects when the call is cancelled or its deadline passes. */
function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(signal.reason);
    }, { once: true });
  });
}

const origin: WeatherOriginHandlers = {
  async forecast(city, ctx) {
    const typical = CITIES[city];
    if (typical === undefined) {
      throw new RpcError("NOT_FOUND", `No weather for ${JSON.stringify(city)}`);
    }
    const ms = 200 + hash(city) % 300;
    console.log(`looking up ${city} (${ms} ms)`);
    await delay(ms, ctx.signal);
    const h = hash(city);
    return {
      city,
      celsius: typical + (h % 7) - 3,
      sky: SKIES[h % SKIES.length],
      computedAt: new Date(),
    };
  },
};

export default defineNode(async (node) => {
  await node.provide(WeatherOriginService, origin);
});
