/**
 * The client of `bench/rpc/alloc.ts`, in its own process: a raw DEALER that
 * sends what it is told on stdin, one line per round (`malformed N` or
 * `valid N`), at most `WINDOW` messages ahead of the replies, and prints
 * `done` once every reply of the round has come back. Exits when stdin
 * closes.
 *
 *     deno run -A bench/rpc/_alloc_peer.ts ENDPOINT
 *
 * @module
 */

import { forEachLine } from "../../tests/_lines.ts";
import { Dealer } from "../../src/zmq/mod.ts";
import {
  codecByName,
  encodeMethodName,
  encodeRequestHeader,
} from "../../src/wire/mod.ts";

const WINDOW = 64;
const endpoint = Deno.args[0];
const d = new Dealer();
d.connect(endpoint);

const garbage = new Uint8Array([0xde, 0xad, 0xbe, 0xef]);
const method = encodeMethodName("Calculator", "echo");
const args = codecByName("msgpack").encode(["x".repeat(16)]);
let id = 0;

let received = 0;
let wake: (() => void) | undefined;
(async () => {
  for (;;) {
    try {
      await d.receive();
    } catch {
      return; // closed
    }
    received++;
    wake?.();
  }
})();

/** Sends `n` messages made by `make`, `WINDOW` ahead of the replies. */
async function round(n: number, make: () => Uint8Array[]): Promise<void> {
  const start = received;
  for (let sent = 0; sent < n; sent++) {
    while (sent - (received - start) >= WINDOW) {
      await new Promise<void>((r) => wake = r);
    }
    await d.send(make());
  }
  while (received - start < n) await new Promise<void>((r) => wake = r);
}

let rounds = Promise.resolve();
await forEachLine(Deno.stdin.readable, (line) => {
  const [kind, count] = line.split(" ");
  const n = Number(count);
  rounds = rounds.then(async () => {
    if (kind === "malformed") await round(n, () => [garbage]);
    else {
      await round(n, () => [
        encodeRequestHeader({ requestId: ++id, codec: 1 }),
        method,
        args,
      ]);
    }
    console.log("done");
  });
});
await rounds;
d.close();
Deno.exit(0);
