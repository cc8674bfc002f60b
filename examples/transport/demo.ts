/**
 * The zmp transport at work: spawns a second Deno process (a ROUTER echo
 * server with a PUB beside it) and talks to it over tcp.
 *
 *     deno task demo
 *
 * @module
 */

import { Dealer, libzmq, Subscriber } from "../../src/zmq/mod.ts";

const decoder = new TextDecoder();
const text = (frames: Uint8Array[]) => frames.map((f) => decoder.decode(f));

const { version, path } = libzmq();
console.log(`libzmq ${version.join(".")} loaded from ${path}`);

const server = new Deno.Command(Deno.execPath(), {
  args: [
    "run",
    "--allow-all",
    new URL("./echo_server.ts", import.meta.url).pathname,
  ],
  stdin: "null",
  stdout: "piped",
  stderr: "inherit",
}).spawn();
const stdout = server.stdout.pipeThrough(new TextDecoderStream()).getReader();

try {
  let line = "";
  while (!line.includes("\n")) {
    const { value, done } = await stdout.read();
    if (done) throw new Error("the echo server exited before it was ready");
    line += value;
  }
  const endpoints = JSON.parse(line);
  console.log(
    `echo server: pid ${server.pid}, router ${endpoints.router}, ` +
      `pub ${endpoints.publisher}`,
  );

  await using dealer = new Dealer();
  dealer.connect(endpoints.router);

  // One round trip, then the median of 200.
  await dealer.send(["hello", "zmp"]);
  const reply = text(await dealer.receive({ timeout: 5000 }));
  const times: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t0 = performance.now();
    await dealer.send("ping");
    await dealer.receive({ timeout: 5000 });
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  console.log(
    `round trip: ${JSON.stringify(reply)} echoed, ` +
      `median ${(times[100] * 1000).toFixed(0)} µs over 200`,
  );

  // Pipelined: keep up to 500 messages in flight, check the order.
  const count = 100_000;
  const t0 = performance.now();
  let received = 0;
  let wake = () => {};
  const receiver = (async () => {
    while (received < count) {
      const [seq] = await dealer.receive({ timeout: 5000 });
      const n = new DataView(seq.buffer, seq.byteOffset).getUint32(0, true);
      if (n !== received) throw new Error(`expected ${received}, got ${n}`);
      received++;
      wake();
    }
  })();
  for (let i = 0; i < count; i++) {
    while (i - received >= 500) await new Promise<void>((r) => wake = r);
    const seq = new Uint8Array(4);
    new DataView(seq.buffer).setUint32(0, i, true);
    await dealer.send(seq);
  }
  await receiver;
  const seconds = (performance.now() - t0) / 1000;
  console.log(
    `pipelined: ${count.toLocaleString("en")} messages echoed in order in ` +
      `${seconds.toFixed(2)} s (${
        Math.round(count / seconds).toLocaleString("en")
      } msg/s)`,
  );

  // PUB/SUB: the server publishes "tick" and "tock"; subscribe to one.
  await using sub = new Subscriber();
  sub.subscribe("tick");
  sub.connect(endpoints.publisher);
  const got: string[] = [];
  for (let i = 0; i < 3; i++) {
    got.push(text(await sub.receive({ timeout: 5000 })).join(" "));
  }
  console.log(`pub/sub: subscribed to "tick", got ${got.join(", ")}`);

  await dealer.send("stop");
  const [bye] = text(await dealer.receive({ timeout: 5000 }));
  const { code } = await server.status;
  console.log(`echo server said "${bye}" and exited with code ${code}`);
} finally {
  try {
    server.kill("SIGKILL");
  } catch {
    // already exited
  }
  await server.status;
  await stdout.cancel();
}
