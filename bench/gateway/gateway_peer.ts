/**
 * The gateway stack of `deno task bench:web`, each role its own Deno
 * process:
 *
 *     gateway_peer.ts server HOST      a registry and a gateway; spawns the service
 *     gateway_peer.ts service REGISTRY a node serving bench:rpc's BenchMsgpack echo
 *     gateway_peer.ts client URL PLAN  POSTs [sample] as JSON with fetch
 *
 * The path of one call: client → HTTP → gateway (JSON parsed and checked
 * against the registered schema, msgpack over ZeroMQ) → service → back.
 *
 * @module
 */

import { startRegistry } from "../../src/registry/server.ts";
import { createNode } from "../../src/node/node.ts";
import { createGateway } from "../../src/bridge/gateway/mod.ts";
import { BenchMsgpackService } from "../rpc/bench.api.gen.ts";
import { checkReply, reply, SAMPLE } from "../rpc/_sample.mjs";
import {
  announce,
  exitWhenStdinCloses,
  measureAndExit,
  usage,
} from "../rpc/_peer.ts";

const USAGE = "gateway_peer.ts server HOST\n" +
  "       gateway_peer.ts service REGISTRY\n" +
  "       gateway_peer.ts client URL PLAN";

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

async function server(hostname: string): Promise<void> {
  const registry = await startRegistry({ endpoint: `tcp://${hostname}:*` });
  const service = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      "--quiet",
      new URL(import.meta.url).pathname,
      "service",
      registry.endpoint,
    ],
    stdin: "piped",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  // It exits when this process goes: its standard input closes.
  globalThis.addEventListener("unload", () => service.kill("SIGKILL"));
  const gateway = await createGateway({
    port: 0,
    hostname,
    registry: registry.endpoint,
    logger: quiet,
  });
  const url = `${gateway.url}rpc/${BenchMsgpackService.name}/echo`;
  for (let i = 0; i < 400; i++) {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify([SAMPLE]),
    });
    await response.body?.cancel();
    if (response.ok) {
      announce(url);
      return;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error("the echo service never showed up behind the gateway");
}

async function service(registry: string): Promise<void> {
  const node = await createNode("bench-echo", { registry, logger: quiet });
  await node.provide(BenchMsgpackService, { echo: (sample) => reply(sample) });
}

async function client(url: string, plan: string | undefined) {
  const body = JSON.stringify([SAMPLE]);
  const headers = { "content-type": "application/json" };
  const call = async () => {
    const response = await fetch(url, { method: "POST", body, headers });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return await response.json();
  };
  await measureAndExit(call, plan, { check: checkReply });
}

async function main(args: string[]): Promise<void> {
  const [role, where, plan] = args;
  if (where === undefined) usage(USAGE);
  exitWhenStdinCloses();
  if (role === "server") return await server(where);
  if (role === "service") return await service(where);
  if (role === "client") return await client(where, plan);
  usage(USAGE);
}

await main(Deno.args);
