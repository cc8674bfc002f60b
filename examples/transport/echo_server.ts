/**
 * The other process of the transport demo: a ROUTER that echoes every
 * message to its sender, and a PUB that publishes "tick" and "tock" every
 * 20 ms. Prints its two endpoints as one JSON line, then serves until a
 * message "stop" arrives.
 *
 * @module
 */

import { Context } from "../../mod.ts";
import { Publisher, Router } from "../../src/zmq/mod.ts";

const router = new Router({ routerMandatory: true });
const publisher = new Publisher();
console.log(JSON.stringify({
  router: router.bind("tcp://127.0.0.1:*"),
  publisher: publisher.bind("tcp://127.0.0.1:*"),
}));

let n = 0;
const ticker = setInterval(() => {
  n++;
  publisher.send(["tick", String(n)]);
  publisher.send(["tock", String(n)]);
}, 20);

for await (const [peer, ...body] of router) {
  if (body.length === 1 && new TextDecoder().decode(body[0]) === "stop") {
    router.setOption("linger", 1000); // let "stopped" leave before exit
    await router.send([peer, "stopped"]);
    break;
  }
  await router.send([peer, ...body]);
}
clearInterval(ticker);
// Closes both sockets and waits for queued messages to go out.
await Context.default.close();
