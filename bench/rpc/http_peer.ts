/**
 * The HTTP baseline of `deno task bench:rpc`, each peer its own Deno
 * process:
 *
 *     http_peer.ts server HOST
 *     http_peer.ts client URL PLAN
 *
 * The server is a plain `Deno.serve` that answers `POST /echo` (a JSON
 * `Sample`) with the JSON reply; the client calls it with `fetch`, whose
 * connections are kept alive and pooled (HTTP/1.1, one connection per call
 * in flight).
 *
 * @module
 */

import { reply, SAMPLE } from "./_sample.mjs";
import {
  announce,
  exitWhenStdinCloses,
  measureAndExit,
  usage,
} from "./_peer.ts";

const USAGE = "http_peer.ts server HOST\n" +
  "       http_peer.ts client URL PLAN";

function serve(hostname: string): void {
  Deno.serve({
    hostname,
    port: 0,
    onListen: ({ port }) => announce(`http://${hostname}:${port}/echo`),
  }, async (request) => {
    if (request.method !== "POST") {
      return new Response("POST a JSON sample", { status: 405 });
    }
    return Response.json(reply(await request.json()));
  });
}

async function client(url: string, plan: string | undefined) {
  const body = JSON.stringify(SAMPLE);
  const headers = { "content-type": "application/json" };
  const call = async () => {
    const response = await fetch(url, { method: "POST", body, headers });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return await response.json();
  };
  await measureAndExit(call, plan);
}

async function main(args: string[]): Promise<void> {
  const [role, where, plan] = args;
  if (where === undefined) usage(USAGE);
  exitWhenStdinCloses();
  if (role === "server") return serve(where);
  if (role === "client") return await client(where, plan);
  usage(USAGE);
}

await main(Deno.args);
