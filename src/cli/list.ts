/**
 * `zmp list nodes|services|topics|params`: what the registry knows now.
 *
 * @module
 */

import type { NodeInfo } from "../registry/types.ts";
import {
  openRegistry,
  parse,
  REGISTRY_HELP,
  REGISTRY_OPTIONS,
  runCommand,
  UsageError,
  waiting,
} from "./_common.ts";
import { json, signature, table } from "./_format.ts";
import { printParams } from "./param.ts";
import { compare, servicesOf, topicsOf, visibleNodes } from "./_system.ts";

/** The help text of `zmp list`. */
export const USAGE = `Usage: zmp list <nodes|services|topics|params> [options]

Lists what the registry knows about the running system:
  nodes      every live node: pid, host, run mode, what it provides and uses
  services   every service, its instances, and its methods' signatures
  topics     every topic, its type, publishers and subscribers
  params     every param (or those under a prefix: zmp list params filter.)

Options:
  --json                 print one JSON value on one line, for scripts
  --all                  include tool nodes (names starting with _)
${REGISTRY_HELP}
  -h, --help             show this help

Examples:
  zmp list nodes
  zmp list services --json
  zmp list params filter.`;

const WHAT = ["nodes", "services", "topics", "params"] as const;

/**
 * Runs `zmp list` with the arguments after `list`.
 *
 * @param args the command-line arguments
 * @returns the exit code
 */
export function main(args: string[]): Promise<number> {
  return runCommand({ name: "list", usage: USAGE }, args, async () => {
    const { values, positionals } = parse(args, {
      ...REGISTRY_OPTIONS,
      json: { type: "boolean" },
      all: { type: "boolean" },
    });
    const [what, ...rest] = positionals;
    if (what === undefined) {
      throw new UsageError(`expected what to list: ${WHAT.join(", ")}`);
    }
    if (!(WHAT as readonly string[]).includes(what)) {
      throw new UsageError(
        `cannot list ${JSON.stringify(what)}: expected one of ${
          WHAT.join(", ")
        }`,
      );
    }
    if (rest.length > (what === "params" ? 1 : 0)) {
      throw new UsageError(
        `unexpected argument ${JSON.stringify(rest.at(-1))}`,
      );
    }
    const compact = values.json === true;
    await using registry = await openRegistry(values);
    if (what === "params") {
      return await printParams(registry, rest[0] ?? "", compact);
    }
    const nodes = visibleNodes(
      await waiting("asking the registry", registry.nodes()),
      values.all === true,
    );
    const lines = what === "nodes"
      ? listNodes(nodes, compact)
      : what === "services"
      ? listServices(nodes, compact)
      : listTopics(nodes, compact);
    for (const line of lines) console.log(line);
    return 0;
  });
}

function listNodes(nodes: NodeInfo[], compact: boolean): string[] {
  if (compact) return [json(nodes, true)];
  if (nodes.length === 0) return ["(no live nodes)"];
  const names = (list: { name?: string; topic?: string }[]) =>
    list.length === 0
      ? "-"
      : [...new Set(list.map((x) => x.name ?? x.topic ?? ""))].sort(compare)
        .join(",");
  return table(
    [
      "NODE",
      "PID",
      "HOST",
      "MODE",
      "SERVICES",
      "PUBLISHES",
      "SUBSCRIBES",
      "PARAMS",
    ],
    nodes.map((n) => [
      n.name,
      String(n.pid),
      n.host,
      n.mode,
      names(n.services),
      names(n.publishes),
      names(n.subscribes),
      n.params.length === 0 ? "-" : [...n.params].sort(compare).join(","),
    ]),
  );
}

function listServices(nodes: NodeInfo[], compact: boolean): string[] {
  const services = servicesOf(nodes);
  if (compact) return [json(services, true)];
  if (services.length === 0) return ["(no live services)"];
  const lines: string[] = [];
  for (const s of services) {
    const n = s.instances.length;
    lines.push(
      `${s.name}  ${n} instance${n === 1 ? "" : "s"}: ${
        s.instances.map((i) => i.node).join(", ")
      }${s.doc ? `  — ${s.doc}` : ""}`,
    );
    if (s.methods === undefined) {
      lines.push("  (methods not registered)");
      continue;
    }
    for (const m of s.methods) {
      lines.push(`  ${signature(m)}${m.idempotent ? "  @idempotent" : ""}`);
    }
  }
  return lines;
}

function listTopics(nodes: NodeInfo[], compact: boolean): string[] {
  const topics = topicsOf(nodes);
  if (compact) return [json(topics, true)];
  if (topics.length === 0) return ["(no topics)"];
  const who = (list: { node: string }[]) =>
    list.length === 0 ? "-" : list.map((x) => x.node).join(",");
  return table(
    ["TOPIC", "TYPE", "PUBLISHERS", "SUBSCRIBERS"],
    topics.map((t) => [
      t.topic + (t.latched ? " (latched)" : ""),
      t.typeName,
      who(t.publishers),
      who(t.subscribers),
    ]),
  );
}
