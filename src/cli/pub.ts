/**
 * `zmp pub <topic> <json>`: publishes a message on a topic, once or at a
 * rate, like `ros2 topic pub`. The message is checked against the topic's
 * schema first. It joins the system as a tool node (`_zmp_pub_<pid>`).
 *
 * @module
 */

import { setTimeout as wait } from "node:timers/promises";
import { ValidationError } from "../wire/descriptors.ts";
import {
  CliError,
  cliKeys,
  count,
  interruptSignal,
  millis,
  openRegistry,
  parse,
  progress,
  REGISTRY_OPTIONS,
  runCommand,
  UsageError,
  waiting,
} from "./_common.ts";
import { toolNode } from "./_tool_node.ts";
import { convert, readJsonArgument, topicDescriptor } from "./_input.ts";
import { findTopic, unknownTopic } from "./_system.ts";
import { checkName } from "../wire/names.ts";
import { parseTraceparent } from "../observe/trace.ts";

/** The help text of `zmp pub`. */
export const USAGE = `Usage: zmp pub <topic> <json> [options]

Publishes one message on a topic and exits, or with --rate publishes it
repeatedly until Ctrl-C (or --count messages). The topic's type comes from
the nodes that publish or subscribe to it, and the message is checked
against it before anything is sent. Before the first message, zmp pub waits
(up to --timeout) until every live subscriber of the topic is connected, so
a single message is not lost.

Options:
  --rate <hz>            publish this many times a second (up to 10000)
  --count <n>            stop after n messages (default: 1 without --rate)
  --latched              keep the last message for subscribers that join later
                         (until zmp pub exits)
  --traceparent <value>  send this W3C traceparent with each message
                         (00-<32 hex>-<16 hex>-<2 hex>), as a bridge does
  --registry <endpoint>  the registry: tcp://host:port (embedded), or
                         etcd://host:2379,host:2379 (default: $ZMP_REGISTRY,
                         else tcp://127.0.0.1:7350)
  --timeout <ms>         how long to wait for the registry and the subscribers (default: 3000)
  --keys <dir>           secure mode: use the @cli and @registry keys of this
                         key directory (default: $ZMP_KEYS, else plain TCP)
  -h, --help             show this help

Exit codes: 0 when published, 1 when nobody publishes or subscribes to the
topic (its type is unknown) or the registry is down, 2 bad usage or a
message that does not fit the topic's type.

Examples:
  zmp pub sensors/raw '{"sensor": "cli", "seq": 0, "value": 21.5, "at": "2026-01-01T00:00:00Z"}'
  zmp pub control/setpoint 50 --rate 10 --count 30`;

/**
 * Runs `zmp pub` with the arguments after `pub`.
 *
 * @param args the command-line arguments
 * @returns the exit code
 */
export function main(args: string[]): Promise<number> {
  return runCommand({ name: "pub", usage: USAGE }, args, async () => {
    const { values, positionals } = parse(args, {
      ...REGISTRY_OPTIONS,
      rate: { type: "string" },
      count: { type: "string" },
      latched: { type: "boolean" },
      traceparent: { type: "string" },
    });
    if (positionals.length !== 2) {
      throw new UsageError(
        `expected a topic and a JSON message, got ${positionals.length} argument${
          positionals.length === 1 ? "" : "s"
        }`,
      );
    }
    const [topic, text] = positionals;
    checkName("topic", topic);
    const rate = readRate(values.rate);
    const limit = count("count", values.count) ??
      (rate === undefined ? 1 : Infinity);
    const timeout = millis("timeout", values.timeout, 3000);
    const traceparent = values.traceparent;
    if (
      traceparent !== undefined && parseTraceparent(traceparent) === undefined
    ) {
      throw new UsageError(
        `--traceparent must be a W3C traceparent (00-<32 hex>-<16 hex>-<2 hex>), got ${
          JSON.stringify(traceparent)
        }`,
      );
    }

    const interrupt = interruptSignal();
    try {
      await using registry = await openRegistry(values);
      const nodes = await waiting("asking the registry", registry.nodes());
      const view = findTopic(nodes, topic);
      if (view === undefined) {
        throw new CliError(
          `${unknownTopic(nodes, topic)}, so its type is unknown`,
        );
      }
      const { value: message, issues } = convert(
        view.schema,
        readJsonArgument(text, "the message", view.schema),
        "message",
      );
      if (issues.length > 0) {
        throw new ValidationError(
          `message for topic ${topic} (${view.typeName})`,
          issues,
        );
      }
      await using node = await toolNode("pub", {
        registry,
        signal: interrupt.signal,
        keys: await cliKeys(values),
      });
      const publisher = await node.publisher(
        topicDescriptor(view),
        { latched: values.latched === true, trace: traceparent !== undefined },
      );
      const expected = view.subscribers.length;
      const waited = await waiting(
        `waiting for ${expected} subscriber${expected === 1 ? "" : "s"}`,
        publisher.waitForSubscribers(expected, {
          timeout,
          signal: node.signal,
        }).then(() => true, () => false),
      );
      if (node.signal.aborted) return 0;
      if (!waited) {
        console.error(
          `zmp pub: warning: only ${publisher.subscribers} of ${expected} subscribers connected within ${timeout} ms; publishing anyway`,
        );
      }
      const sent = await publishLoop(
        () =>
          publisher.publish(
            message,
            traceparent === undefined ? undefined : { traceparent },
          ),
        { limit, rate, signal: node.signal },
      );
      console.log(
        `published ${sent} message${
          sent === 1 ? "" : "s"
        } on ${topic} (${publisher.subscribers} subscriber${
          publisher.subscribers === 1 ? "" : "s"
        })`,
      );
      return 0;
    } finally {
      interrupt.dispose();
    }
  });
}

function readRate(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const rate = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || !(rate > 0) || rate > 10000) {
    throw new UsageError(
      `--rate must be a number of messages per second in (0, 10000], got ${
        JSON.stringify(text)
      }`,
    );
  }
  return rate;
}

/** Publishes `limit` times, `rate` per second, until aborted; returns the count. */
async function publishLoop(
  publish: () => void,
  options: { limit: number; rate: number | undefined; signal: AbortSignal },
): Promise<number> {
  const { limit, rate, signal } = options;
  let sent = 0;
  publish();
  sent++;
  if (sent >= limit || rate === undefined) return sent;
  const spinner = progress(`published ${sent}`);
  const period = 1000 / rate;
  const start = performance.now();
  try {
    while (sent < limit && !signal.aborted) {
      // Keep the average rate even when a tick is late.
      const due = start + sent * period - performance.now();
      // Rejects (and clears its timer) when aborted: the loop then ends.
      await wait(Math.max(0, due), undefined, { signal }).catch(() => {});
      if (signal.aborted) break;
      publish();
      sent++;
      spinner.text(`published ${sent}`);
    }
  } finally {
    spinner.stop();
  }
  return sent;
}
