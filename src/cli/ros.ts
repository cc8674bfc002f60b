/**
 * `zmp ros types <pkg/Type|/topic>…`: turns ROS 1 message and service
 * definitions into a zmp `.api.ts`, codegen's input, so that the zmp side
 * of a ROS bridge is typed and validated like any zmp topic or service.
 *
 * @module
 */

import { RosNode } from "@foxglove/ros1";
import { TcpSocketNode } from "@foxglove/ros1/nodejs";
import { HttpServerNodejs } from "@foxglove/xmlrpc/nodejs";
import { emitRosApi } from "../bridge/ros1/api_ts.ts";
import { discoverTopicType } from "../bridge/ros1/discover.ts";
import { RosTypeError, RosTypes } from "../bridge/ros1/ros_types.ts";
import { CliError, millis, parse, runCommand, UsageError } from "./_common.ts";

/** The help text of `zmp ros`. */
export const USAGE = `Usage: zmp ros types <type|/topic>… [options]

Writes a zmp definition file (.api.ts) from ROS 1 message and service
definitions: one interface per message type (std_msgs/String becomes
StdMsgsString), with @topic and @service declarations on request. Run
\`deno task codegen\` on the file next.

A <type> (pkg/Name) is read from <root>/<pkg>/msg/<Name>.msg or
srv/<Name>.srv, the roots being --path, then $ROS_PACKAGE_PATH, /usr/share
and /opt/ros/*/share. A /topic is asked of the ROS master: a live publisher
announces its type and full definition.

Options:
  --topic <name>=<type>  declare zmp topic <name> of ROS message <type>, e.g.
                         ros/chatter=std_msgs/String (repeatable)
  --service <Service.method>=<type>
                         declare a zmp service method of ROS service <type>,
                         e.g. Lights.set=std_srvs/SetBool (repeatable)
  --path <dir>           a folder of ROS packages, searched first (repeatable)
  --master <uri>         the ROS master for /topic arguments
                         (default: $ROS_MASTER_URI, else http://localhost:11311/)
  --out <file>           write there instead of standard output
  --timeout <ms>         how long to wait for a publisher's header (default: 3000)
  -h, --help             show this help

Exit codes: 0 written, 1 a type or topic cannot be found, 2 bad usage.

Examples:
  zmp ros types std_msgs/String std_srvs/SetBool
  zmp ros types /chatter --out ros_types.api.ts
  zmp ros types --topic ros/chatter=std_msgs/String --service Lights.set=std_srvs/SetBool --out ros.api.ts`;

/**
 * Runs `zmp ros` with the arguments after `ros`.
 *
 * @param args the command-line arguments
 * @returns the exit code
 */
export function main(args: string[]): Promise<number> {
  return runCommand({ name: "ros", usage: USAGE }, args, async () => {
    const { values, positionals } = parse(args, {
      topic: { type: "string", multiple: true },
      service: { type: "string", multiple: true },
      path: { type: "string", multiple: true },
      master: { type: "string" },
      out: { type: "string" },
      timeout: { type: "string" },
    });
    const [sub, ...names] = positionals;
    if (sub !== "types") {
      throw new UsageError(
        sub === undefined
          ? "expected a subcommand: types"
          : `unknown subcommand ${JSON.stringify(sub)} (expected: types)`,
      );
    }
    const topics = (values.topic ?? []).map((t) => {
      const [zmp, type] = pair(t, "--topic", "zmp/name=pkg/Msg");
      return { zmp, type };
    });
    const methods = (values.service ?? []).map((s) => {
      const [target, type] = pair(s, "--service", "Service.method=pkg/Srv");
      const dot = target.lastIndexOf(".");
      if (dot <= 0 || dot === target.length - 1) {
        throw new UsageError(
          `--service expects Service.method=pkg/Srv, got ${JSON.stringify(s)}`,
        );
      }
      return {
        service: target.slice(0, dot),
        method: target.slice(dot + 1),
        type,
      };
    });
    if (names.length + topics.length + methods.length === 0) {
      throw new UsageError(
        "expected at least one type, /topic, --topic or --service",
      );
    }
    const timeout = millis("timeout", values.timeout, 3000);
    const types = new RosTypes({ paths: values.path ?? [] });
    const messages: string[] = [];
    const services: string[] = [];
    const fromMaster = names.filter((n) => n.startsWith("/"));
    if (fromMaster.length > 0) {
      messages.push(
        ...await announced(types, fromMaster, values.master, timeout),
      );
    }
    try {
      for (const name of names.filter((n) => !n.startsWith("/"))) {
        if (isService(types, name)) services.push(name);
        else messages.push(name);
      }
      const text = emitRosApi(types, {
        messages,
        services,
        topics,
        methods,
        command: `zmp ros ${args.map(quote).join(" ")}`,
      });
      if (values.out === undefined) {
        await Deno.stdout.write(new TextEncoder().encode(text));
      } else {
        await Deno.writeTextFile(values.out, text);
        console.error(`wrote ${values.out}`);
      }
    } catch (e) {
      if (e instanceof RosTypeError) {
        throw new CliError(e.message, { cause: e });
      }
      if (e instanceof TypeError) throw new UsageError(e.message);
      throw e;
    }
    return 0;
  });
}

function pair(text: string, option: string, form: string): [string, string] {
  const eq = text.indexOf("=");
  if (eq <= 0 || eq === text.length - 1) {
    throw new UsageError(
      `${option} expects ${form}, got ${JSON.stringify(text)}`,
    );
  }
  return [text.slice(0, eq), text.slice(eq + 1)];
}

/** A name is a service when no message but a service of that name exists. */
function isService(types: RosTypes, name: string): boolean {
  try {
    types.message(name);
    return false;
  } catch (e) {
    if (!(e instanceof RosTypeError)) throw e;
    try {
      types.service(name);
      return true;
    } catch {
      throw e;
    }
  }
}

/** Reads each topic's type from a live publisher; returns the type names. */
async function announced(
  types: RosTypes,
  topics: string[],
  master: string | undefined,
  timeout: number,
): Promise<string[]> {
  const uri = master ?? Deno.env.get("ROS_MASTER_URI") ??
    "http://localhost:11311/";
  const ros = new RosNode({
    name: `/_zmp_ros_types_${Deno.pid}`,
    hostname: Deno.env.get("ROS_HOSTNAME") ?? Deno.env.get("ROS_IP") ??
      "127.0.0.1",
    pid: Deno.pid,
    rosMasterUri: uri,
    httpServer: new HttpServerNodejs(),
    tcpSocketCreate: TcpSocketNode.Create,
  });
  const names: string[] = [];
  try {
    await ros.start();
    for (const topic of topics) {
      let found;
      try {
        found = await discoverTopicType(ros, topic, { timeout });
      } catch (e) {
        if (e instanceof RosTypeError) throw new CliError(e.message);
        throw new CliError(
          `Cannot ask the ROS master at ${uri} about ${topic}: ${
            (e as Error).message
          }`,
        );
      }
      types.addMessageText(found.type, found.text);
      names.push(found.type);
    }
  } finally {
    ros.shutdown();
  }
  return names;
}

function quote(arg: string): string {
  return /^[\w./=:@-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}
