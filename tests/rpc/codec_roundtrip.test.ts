/**
 * Values through a real server process and back, with both codecs
 * (property-based).
 */

import fc from "fast-check";
import { assertEquals } from "../_assert.ts";
import { RpcClient } from "../../mod.ts";
import { wireValue } from "../wire/_values.ts";
import { ServerProcess } from "./_server_process.ts";
import { Calculator, Notes } from "./fixtures/services.ts";

Deno.test("RpcClient round-trips arbitrary values through a server with each codec", async (t) => {
  await using server = await ServerProcess.start();
  await using client = new RpcClient({ endpoints: [server.endpoint] });
  for (const service of [Calculator, Notes]) {
    await t.step(
      `${service.codec}: echo(value) returns an equal value`,
      async () => {
        await fc.assert(
          fc.asyncProperty(wireValue(), async (value) => {
            const back = await client.call(service, service.methods.echo, [
              value,
            ]);
            assertEquals(back, value);
          }),
          { numRuns: 200 },
        );
      },
    );
  }
  await t.step(
    "Date, Map, Set, bigint, Uint8Array and nested objects survive both codecs",
    async () => {
      const value = {
        when: new Date(0),
        index: new Map<unknown, unknown>([["a", new Set([1n, 2n])], [3, {
          deep: [new Uint8Array([9])],
        }]]),
        big: -(2n ** 100n),
        floats: new Float32Array([0.5]),
      };
      for (const service of [Calculator, Notes]) {
        assertEquals(
          await client.call(service, service.methods.echo, [value]),
          value,
        );
      }
    },
  );
});
