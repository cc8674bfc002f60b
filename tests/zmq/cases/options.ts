/**
 * Socket options: what is set reads back the same, through the one table.
 */

import { assertEquals } from "../../_assert.ts";
import {
  curveKeypair,
  Dealer,
  Router,
  SOCKET_OPTIONS,
  SOCKET_TYPES,
  Subscriber,
} from "../../../src/zmq/mod.ts";
import { bytes } from "../_helpers.ts";
import { type EngineRun, testNoSocketLeft } from "../_suite.ts";

/** Registers the options cases for one engine run. */
export function optionsCases(run: EngineRun): void {
  Deno.test(
    run.title(
      "Socket.getOption() reads back what setOption() and the constructor set",
    ),
    async () => {
      const keys = await curveKeypair();
      await using dealer = new Dealer({
        ...run.C,
        sendHighWaterMark: 10,
        routingId: "me",
        maxMessageSize: 2 ** 40,
      });
      assertEquals(dealer.getOption("sendHighWaterMark"), 10);
      assertEquals(dealer.getOption("routingId"), bytes("me"));
      assertEquals(dealer.getOption("maxMessageSize"), 2 ** 40);
      const values = {
        linger: 250,
        receiveHighWaterMark: 7,
        immediate: true,
        reconnectInterval: 50,
        reconnectIntervalMax: 500,
        connectTimeout: 1000,
        heartbeatInterval: 100,
        heartbeatTimeToLive: 300,
        heartbeatTimeout: 200,
        sendBufferSize: 65536,
        receiveBufferSize: 65536,
        ipv6: true,
        curveServer: false,
        curvePublicKey: keys.publicKey,
        curveSecretKey: keys.secretKey,
        curveServerKey: keys.publicKey,
      } as const;
      for (const [name, value] of Object.entries(values)) {
        dealer.setOption(name as "linger", value as number);
        assertEquals<unknown>(dealer.getOption(name as "linger"), value, name);
      }
      // A binary key reads back in Z85.
      const raw = new Uint8Array(32).fill(0);
      dealer.setOption("curveServerKey", raw);
      assertEquals(dealer.getOption("curveServerKey"), "0".repeat(40));
    },
  );

  Deno.test(
    run.title("Socket.getOption() reads every readable option of the table"),
    async () => {
      await using router = new Router(run.S);
      const endpoint = router.bind("tcp://127.0.0.1:*");
      for (const [name, spec] of Object.entries(SOCKET_OPTIONS)) {
        if (!spec.readable) continue;
        const value = router.getOption(name as "linger");
        const expected = { int: "number", int64: "number", bool: "boolean" }[
          spec.kind as string
        ] ?? (spec.kind === "bytes" ? "object" : "string");
        assertEquals(typeof value, expected, name);
      }
      assertEquals(router.getOption("type"), SOCKET_TYPES.ROUTER);
      assertEquals(router.getOption("lastEndpoint"), endpoint);
      assertEquals(router.getOption("linger"), 0, "zmp's default linger");
    },
  );

  Deno.test(
    run.title("Subscriber.subscribe() takes text or bytes"),
    async () => {
      await using sub = new Subscriber(run.C);
      sub.subscribe("text");
      sub.subscribe(new Uint8Array([0, 1]));
      sub.subscribe();
      sub.unsubscribe("text");
      sub.unsubscribe(new Uint8Array([0, 1]));
      sub.unsubscribe();
    },
  );

  testNoSocketLeft(run, "options");
}
