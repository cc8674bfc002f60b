/**
 * A rosbridge client, as a web page would be one, with npm `roslib`:
 * lists the system, calls `/Calculator/add`, publishes a raw reading and
 * hears the filtered one, and offers `/Browser/sum` to zmp nodes for a
 * while.
 *
 * `deno run -A examples/rosbridge/client.ts ws://127.0.0.1:9090`
 *
 * @module
 */

import * as ROSLIB from "roslib";

const url = Deno.args[0] ?? "ws://127.0.0.1:9090";
const ros = new ROSLIB.Ros({ url });
await new Promise((resolve, reject) => {
  ros.on("connection", resolve);
  ros.on("error", reject);
});

const topics = await new Promise<{ topics: string[]; types: string[] }>(
  (resolve, reject) => ros.getTopics(resolve, reject),
);
console.log("topics:", topics.topics.join(", "));

const add = new ROSLIB.Service<{ a: number; b: number }, { result: number }>({
  ros,
  name: "/Calculator/add",
  serviceType: "zmp/Calculator_add",
});
const sum = await new Promise<{ result: number }>((resolve, reject) =>
  add.callService({ a: 2, b: 3 }, resolve, reject)
);
console.log("/Calculator/add {a: 2, b: 3} →", sum);

const filtered = new ROSLIB.Topic<{ value: number; alarm: boolean }>({
  ros,
  name: "/sensors/filtered",
  messageType: "zmp/FilteredReading",
});
const heard = new Promise((resolve) => filtered.subscribe(resolve));
const raw = new ROSLIB.Topic({
  ros,
  name: "/sensors/raw",
  messageType: "zmp/RawReading",
});
// Until the filter hears it: the first messages may go before zmp connects.
const timer = setInterval(
  () =>
    raw.publish({
      sensor: "web",
      seq: 0,
      value: 21.5,
      at: new Date().toISOString(),
    }),
  100,
);
console.log("/sensors/filtered →", await heard);
clearInterval(timer);
filtered.unsubscribe();
raw.unadvertise();

const browserSum = new ROSLIB.Service<
  { a: number; b: number },
  { result: number }
>({
  ros,
  name: "/Browser/sum",
  serviceType: "zmp/Browser_sum",
});
await browserSum.advertiseAsync(({ a, b }) =>
  Promise.resolve({ result: a + b })
);
console.log(
  "offering /Browser/sum: try `deno task zmp call Browser.sum 2 3` (10 s)",
);
await new Promise((resolve) => setTimeout(resolve, 10_000));
await browserSum.unadvertise();
ros.close();
