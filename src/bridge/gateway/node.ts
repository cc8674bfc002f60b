/**
 * The gateway as a launched node: `gatewayNode({ port: 8080 })` in a launch
 * file runs this module, which serves the gateway through the node the
 * launcher started, until the launch stops.
 *
 * Its one argument is the JSON of {@linkcode GatewayNodeArgs} (what
 * `gatewayNode` writes). It prints `gateway: serving <url>` once it
 * listens.
 *
 * @module
 */

import { defineNode } from "../../node/define.ts";
import { createGateway } from "./gateway.ts";
import { type GatewayNodeArgs, readGatewayNodeArgs } from "./launch.ts";

export type { GatewayNodeArgs };

export default defineNode(async (node, args) => {
  const options = readGatewayNodeArgs(args);
  const gateway = await createGateway({
    ...options,
    node,
    signal: node.signal,
  });
  console.log(`gateway: serving ${gateway.url}`);
  await gateway.finished;
});
