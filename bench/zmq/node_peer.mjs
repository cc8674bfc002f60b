// @ts-check
/**
 * The Node.js + zeromq.js peer of the benchmark, run by `main.ts` with
 * `node` and the `zeromq` package that the driver installed into
 * `bench/.work/` (not the project's own `node_modules`, which Deno manages):
 *
 *     node node_peer.mjs probe
 *     node node_peer.mjs server ENDPOINT
 *     node node_peer.mjs client ENDPOINT SIZES RTT WARMUP MSGS WINDOW TRIALS
 *
 * `probe` prints which libzmq the addon carries. The server prints
 * `{"endpoint", "libzmq"}` on one line once bound, then echoes; the client
 * prints one JSON line of results. Both exit when their standard input
 * closes. The loops are the ones the zmp peer runs (`_echo.mjs`).
 *
 * @module
 */

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import process from "node:process";
import { echo, measure, parsePlan } from "./_echo.mjs";

const require = createRequire(
  new URL("../.work/package.json", import.meta.url),
);
/** @type {any} */
const zmq = require("zeromq");

/** The libzmq this process runs: the addon file mapped into memory. */
function libzmqInfo() {
  const maps = readFileSync("/proc/self/maps", "utf8").split("\n");
  const line = maps.find((l) => /zeromq.*\.node$|libzmq/.test(l));
  const path = line === undefined ? "unknown" : line.split(/\s+/).pop();
  return { path, version: String(zmq.version) };
}

function exitWhenStdinCloses() {
  process.stdin.on("end", () => process.exit(0));
  process.stdin.on("error", () => process.exit(0));
  process.stdin.resume();
}

/** @param {string[]} args */
async function main(args) {
  const [role, endpoint, ...rest] = args;
  if (role === "probe") {
    console.log(
      JSON.stringify({ libzmq: libzmqInfo(), node: process.version }),
    );
    return;
  }
  if (role === "server" && endpoint !== undefined) {
    exitWhenStdinCloses();
    // Mandatory: a full pipe makes send() wait instead of dropping.
    const router = new zmq.Router({ linger: 0, mandatory: true });
    await router.bind(endpoint);
    const bound = router.lastEndpoint;
    console.log(JSON.stringify({ endpoint: bound, libzmq: libzmqInfo() }));
    await echo(router);
    return;
  }
  if (role === "client" && endpoint !== undefined && rest.length === 6) {
    exitWhenStdinCloses();
    const plan = parsePlan(rest);
    const dealer = new zmq.Dealer({ linger: 0 });
    dealer.connect(endpoint);
    const results = await measure(dealer, plan);
    process.stdout.write(
      JSON.stringify({ libzmq: libzmqInfo(), results }) + "\n",
      () => process.exit(0),
    );
    return;
  }
  console.error(
    "usage: node_peer.mjs probe | server ENDPOINT |\n" +
      "       client ENDPOINT SIZES RTT WARMUP MSGS WINDOW TRIALS",
  );
  process.exit(2);
}

await main(process.argv.slice(2));
