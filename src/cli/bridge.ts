/**
 * `zmp bridge ros1 <bridge.ts>` and `zmp bridge rosbridge`: run a bridge
 * to ROS as a zmp node until Ctrl-C.
 *
 * @module
 */

import { createNode } from "../node/node.ts";
import type { Node } from "../node/types.ts";
import type { Registry } from "../registry/types.ts";
import { loadNodeModule } from "../node/run.ts";
import { isRosBridgeModule } from "../bridge/ros1/define.ts";
import { RosBridgeError, startRos1Bridge } from "../bridge/ros1/bridge.ts";
import { startRosbridgeServer } from "../bridge/rosbridge/server.ts";
import { rosbridgeArgs } from "../bridge/rosbridge/node.ts";
import { loadServiceDescriptors } from "../bridge/rosbridge/apis.ts";
import { checkName } from "../wire/names.ts";
import {
  CliError,
  cliKeys,
  interruptSignal,
  openRegistry,
  parse,
  REGISTRY_HELP,
  REGISTRY_OPTIONS,
  runCommand,
  toolNodeSecurity,
  UsageError,
} from "./_common.ts";

/** The help text of `zmp bridge`. */
export const USAGE = `Usage: zmp bridge ros1 <bridge.ts> [options]
       zmp bridge rosbridge [options]

ros1: runs a ROS 1 bridge file (export default defineRosBridge({...})): its
topics, services and params cross between the ROS graph of a rosmaster and
the zmp system, until Ctrl-C. The bridge is a zmp node and a ROS node, both
named by the file (default ros1_bridge). Every crossing's types are checked
at start: fields that do not line up are one error, and exit code 1.

rosbridge: serves the zmp system to rosbridge v2 clients (roslib) over a
WebSocket, until Ctrl-C: zmp topic sensors/raw is /sensors/raw, method
Calculator.add the service /Calculator/add ({"a": 2, "b": 3} → {"result": 5}),
param greeter.shout /greeter/shout; rosapi answers from the registry.

Options:
  --name <name>          the node name (ros1: default the file's, else
                         ros1_bridge; rosbridge: default rosbridge)
${REGISTRY_HELP}
  -h, --help             show this help

Options of ros1:
  --master <uri>         the ROS master (default: the file's, else
                         $ROS_MASTER_URI, else http://localhost:11311/)
  --hostname <address>   where ROS nodes reach the bridge (default: the file's,
                         else $ROS_HOSTNAME, $ROS_IP, 127.0.0.1)

Options of rosbridge:
  --port <n>             the port (default: 9090; 0 picks a free one)
  --host <address>       the address to listen on (default: 127.0.0.1)
  --api <module>         a generated module (*.api.gen.ts) whose services
                         clients may advertise (repeatable)
  --max-message <bytes>  the largest frame accepted (default: 1048576)

Exit codes: 0 after Ctrl-C, 1 the bridge cannot start (ROS master or
registry unreachable, types that do not line up, port taken), 2 bad usage.

Examples:
  zmp bridge ros1 examples/ros/bridge.ts
  zmp bridge rosbridge --port 9090`;

/**
 * Runs `zmp bridge` with the arguments after `bridge`.
 *
 * @param args the command-line arguments
 * @returns the exit code
 */
export function main(args: string[]): Promise<number> {
  return runCommand({ name: "bridge", usage: USAGE }, args, async () => {
    const { values, positionals } = parse(args, {
      ...REGISTRY_OPTIONS,
      master: { type: "string" },
      hostname: { type: "string" },
      name: { type: "string" },
      port: { type: "string" },
      host: { type: "string" },
      api: { type: "string", multiple: true },
      "max-message": { type: "string" },
    });
    const [kind, ...rest] = positionals;
    if (kind === "ros1") {
      if (rest.length !== 1) {
        throw new UsageError(
          `expected one bridge file, got ${rest.length} arguments`,
        );
      }
      return await runRos1(rest[0], values);
    }
    if (kind === "rosbridge") {
      if (rest.length > 0) {
        throw new UsageError(
          `zmp bridge rosbridge takes no arguments, got ${rest.join(" ")}`,
        );
      }
      return await runRosbridge(values);
    }
    throw new UsageError(
      kind === undefined
        ? "expected ros1 or rosbridge"
        : `unknown bridge ${JSON.stringify(kind)} (expected ros1 or rosbridge)`,
    );
  });
}

interface Values {
  registry?: string;
  timeout?: string;
  keys?: string;
  master?: string;
  hostname?: string;
  name?: string;
  port?: string;
  host?: string;
  api?: string[];
  "max-message"?: string;
}

async function runRos1(file: string, values: Values): Promise<number> {
  let module;
  try {
    module = await loadNodeModule(file);
  } catch (e) {
    throw new CliError(`Cannot load ${file}: ${(e as Error).message}`);
  }
  if (!isRosBridgeModule(module)) {
    throw new CliError(
      `${file} is not a ROS bridge file: its default export must be defineRosBridge({...})`,
    );
  }
  const definition = module.rosBridge;
  return await runBridgeNode(values, {
    name: values.name ?? definition.name ?? "ros1_bridge",
    field: values.name === undefined
      ? "node name of the bridge file"
      : "--name",
  }, async (node, registry) => {
    let bridge;
    try {
      bridge = await startRos1Bridge(definition, {
        node,
        master: values.master,
        hostname: values.hostname,
      });
    } catch (e) {
      if (e instanceof RosBridgeError) {
        throw new CliError(e.message, { cause: e });
      }
      throw e;
    }
    return {
      bridge,
      banner:
        `zmp bridge: ${node.name} bridges ${bridge.masterUri} and ${registry.endpoint}; Ctrl-C to stop`,
    };
  });
}

async function runRosbridge(values: Values): Promise<number> {
  let options;
  try {
    options = rosbridgeArgs([
      ...(values.port === undefined ? [] : ["--port", values.port]),
      ...(values.host === undefined ? [] : ["--host", values.host]),
      ...(values["max-message"] === undefined
        ? []
        : ["--max-message", values["max-message"]]),
    ]);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const apis = await loadServiceDescriptors(values.api ?? []).catch((e) => {
    throw new CliError((e as Error).message);
  });
  return await runBridgeNode(values, {
    name: values.name ?? "rosbridge",
    field: "--name",
  }, async (node, registry) => {
    let server;
    try {
      server = await startRosbridgeServer({
        node,
        registry,
        port: options.port,
        hostname: options.hostname,
        apis,
        maxMessageBytes: options.maxMessageBytes,
      });
    } catch (e) {
      if (e instanceof Deno.errors.AddrInUse) {
        throw new CliError(
          `Cannot listen on ${options.hostname}:${options.port}: the port is taken`,
        );
      }
      throw e;
    }
    return {
      bridge: server,
      banner:
        `zmp bridge: rosbridge listening on ${server.url}; Ctrl-C to stop`,
    };
  });
}

/**
 * Runs a bridge as a zmp node of its own until Ctrl-C: checks the node's
 * name (the rule of wire/names.ts, before any key file or network), takes
 * its key in secure mode (a node of the launch's security.allow, never the
 * operator's @cli key), opens the registry and the node, starts the bridge
 * and waits; the bridge, the node and the registry are closed in turn.
 */
async function runBridgeNode(
  values: Values,
  who: { name: string; field: string },
  start: (
    node: Node,
    registry: Registry,
  ) => Promise<{ bridge: AsyncDisposable; banner: string }>,
): Promise<number> {
  const interrupt = interruptSignal();
  try {
    checkName("node", who.name, { field: who.field });
    const keys = await cliKeys(values, who.name);
    await using registry = await openRegistry(values, { keyName: who.name });
    await using node = await createNode(who.name, {
      registry,
      signal: interrupt.signal,
      ...(keys === undefined ? {} : { security: toolNodeSecurity(keys) }),
    });
    const { bridge, banner } = await start(node, registry);
    await using _ = bridge;
    console.error(banner);
    await untilAborted(node.signal);
    return 0;
  } finally {
    interrupt.dispose();
  }
}

function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener("abort", () => resolve(), { once: true });
  });
}
