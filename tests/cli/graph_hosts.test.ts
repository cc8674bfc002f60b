/**
 * `zmp graph` groups nodes by host when they run on more than one.
 */

import { assert, assertEquals, assertStringIncludes } from "../_assert.ts";
import { graphDot, renderSvg } from "../../src/cli/_graph.ts";
import type { NodeInfo } from "../../mod.ts";

function node(name: string, host: string): NodeInfo {
  return {
    name,
    instanceId: name,
    pid: 1,
    host,
    mode: "subprocess",
    services: [],
    publishes: [],
    subscribes: [],
    params: [],
    startedAt: 0,
  };
}

Deno.test("graphDot() draws one box per host around its nodes when there are several hosts", async () => {
  const dot = graphDot([node("b", "h2"), node("a", "h1"), node("c", "h2")]);
  const h1 = dot.indexOf('subgraph "cluster_host:h1" {');
  const h2 = dot.indexOf('subgraph "cluster_host:h2" {');
  assert(h1 > 0 && h2 > h1, dot);
  assertStringIncludes(dot, 'label="host h1"');
  const inH2 = dot.slice(h2, dot.indexOf("  }", h2));
  assertStringIncludes(inH2, '"node:b"');
  assertStringIncludes(inH2, '"node:c"');
  assert(!inH2.includes('"node:a"'), inH2);
  const svg = await renderSvg(dot);
  assertStringIncludes(svg, "host h2");
});

Deno.test("graphDot() of nodes on one host draws no host box", () => {
  const dot = graphDot([node("a", "h1"), node("b", "h1")]);
  assertEquals(dot.includes("subgraph"), false);
});
