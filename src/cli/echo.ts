/**
 * `zmp echo <topic>`: prints a topic's messages as they arrive, one JSON
 * line each, like `ros2 topic echo`. It joins the system as a tool node
 * (`_zmp_echo_<pid>`, hidden from listings unless `--all`).
 *
 * @module
 */

import type { Registry } from "../registry/types.ts";
import {
  CliError,
  cliKeys,
  count,
  interruptSignal,
  openRegistry,
  parse,
  progress,
  REGISTRY_OPTIONS,
  runCommand,
  untilNodes,
  UsageError,
  waiting,
} from "./_common.ts";
import { toolNode } from "./_tool_node.ts";
import { json } from "./_format.ts";
import { topicDescriptor } from "./_input.ts";
import { findTopic, type TopicView, unknownTopic } from "./_system.ts";
import { checkName } from "../wire/names.ts";

/** The help text of `zmp echo`. */
export const USAGE = `Usage: zmp echo <topic> [options]

Prints the messages of a topic as they arrive, one JSON line each, until
Ctrl-C (or --count messages). Messages are checked against the topic's
schema; invalid ones are counted and reported on stderr, never printed.

Options:
  --count <n>            exit after n messages
  --wait                 wait for the topic to appear instead of failing
  --registry <endpoint>  the registry: tcp://host:port (embedded), or
                         etcd://host:2379,host:2379 (default: $ZMP_REGISTRY,
                         else tcp://127.0.0.1:7350)
  --timeout <ms>         how long to wait for the registry (default: 3000)
  --keys <dir>           secure mode: use the @cli and @registry keys of this
                         key directory (default: $ZMP_KEYS, else plain TCP)
  -h, --help             show this help

Exit codes: 0 after --count messages or Ctrl-C, 1 when nobody publishes or
subscribes to the topic (without --wait) or the registry is down, 2 bad
usage.

Examples:
  zmp echo sensors/filtered
  zmp echo sensors/raw --count 5`;

/**
 * Runs `zmp echo` with the arguments after `echo`.
 *
 * @param args the command-line arguments
 * @returns the exit code
 */
export function main(args: string[]): Promise<number> {
  return runCommand({ name: "echo", usage: USAGE }, args, async () => {
    const { values, positionals } = parse(args, {
      ...REGISTRY_OPTIONS,
      count: { type: "string" },
      wait: { type: "boolean" },
    });
    if (positionals.length !== 1) {
      throw new UsageError(
        `expected one topic, got ${positionals.length} arguments`,
      );
    }
    const [topic] = positionals;
    checkName("topic", topic);
    const limit = count("count", values.count);
    const interrupt = interruptSignal();
    try {
      await using registry = await openRegistry(values);
      const view = await topicView(
        registry,
        topic,
        values.wait === true,
        interrupt.signal,
      );
      if (view === undefined) return 0; // interrupted while waiting
      await using node = await toolNode("echo", {
        registry,
        signal: interrupt.signal,
        keys: await cliKeys(values),
      });
      const subscription = await node.subscribe(
        topicDescriptor(view),
      );
      const spinner = progress(`waiting for messages on ${topic}`);
      node.signal.addEventListener("abort", () => subscription.close(), {
        once: true,
      });
      let n = 0;
      try {
        for await (const message of subscription) {
          spinner.stop();
          console.log(json(message, true));
          if (limit !== undefined && ++n >= limit) break;
        }
      } finally {
        spinner.stop();
      }
      return 0;
    } finally {
      interrupt.dispose();
    }
  });
}

/** The topic's view; with `wait`, waits for it (`undefined` if interrupted). */
async function topicView(
  registry: Registry,
  topic: string,
  wait: boolean,
  signal: AbortSignal,
): Promise<TopicView | undefined> {
  const nodes = await waiting("asking the registry", registry.nodes());
  const now = findTopic(nodes, topic);
  if (now !== undefined) return now;
  if (!wait) {
    throw new CliError(
      `${unknownTopic(nodes, topic)}; add --wait to wait for it`,
    );
  }
  const spinner = progress(`waiting for topic ${topic} to appear`);
  try {
    return await untilNodes(
      registry,
      (nodes) => findTopic(nodes, topic),
      { signal },
    );
  } finally {
    spinner.stop();
  }
}
