/**
 * `zmp graph`: the running system as a picture, like `rqt_graph`. Prints
 * Graphviz DOT, writes an SVG with `--svg <file>`, or prints the same graph
 * as one JSON line with `--json`. See `_graph.ts` for what is drawn.
 *
 * @module
 */

import {
  CliError,
  millis,
  openRegistry,
  parse,
  REGISTRY_HELP,
  REGISTRY_OPTIONS,
  runCommand,
  UsageError,
  waiting,
} from "./_common.ts";
import { dotOf, renderSvg, systemGraph } from "./_graph.ts";

/** The `--help` text of `zmp graph`. */
export const USAGE = `Usage: zmp graph [--svg <file>] [--all] [--json] [options]

Draws the running system: every node, the services it provides, the topics
it publishes and subscribes to, and the params it uses. Prints Graphviz DOT,
or writes an SVG picture with --svg. Service clients do not register, so
calls between nodes are not drawn.

Options:
  --svg <file>           write the picture as SVG to <file> instead of printing DOT
  --all                  include hidden nodes (names starting with _, e.g. zmp echo's)
  --json                 print the graph as one JSON line: {nodes, services, topics, params, edges}
${REGISTRY_HELP}
  -h, --help             show this help

Examples:
  zmp graph --svg system.svg
  zmp graph | dot -Tpng -o system.png
  zmp graph --json | jq '.edges[] | select(.kind == "publishes")'`;

const OPTIONS = {
  ...REGISTRY_OPTIONS,
  svg: { type: "string" },
  all: { type: "boolean" },
  json: { type: "boolean" },
} as const;

/**
 * Runs `zmp graph` with the arguments after `graph`.
 *
 * @param args the command-line arguments
 * @returns the exit code: 0, 1 when the registry is down or the file
 *   cannot be written, 2 for bad usage
 */
export function main(args: string[]): Promise<number> {
  return runCommand({ name: "graph", usage: USAGE }, args, async () => {
    const { values, positionals } = parse(args, OPTIONS);
    if (positionals.length > 0) {
      throw new UsageError(
        `expected no arguments, got ${JSON.stringify(positionals[0])}`,
      );
    }
    if (values.svg !== undefined && values.json) {
      throw new UsageError("--svg and --json cannot be used together");
    }
    if (values.svg === "") throw new UsageError("--svg needs a file name");
    const timeout = millis("timeout", values.timeout, 3000);
    const registry = await openRegistry(values);
    let nodes;
    try {
      nodes = await waiting("reading the nodes", registry.nodes({ timeout }));
    } finally {
      await registry.close();
    }
    const graph = systemGraph(nodes, { all: values.all ?? false });
    if (values.json) {
      console.log(JSON.stringify(graph));
      return 0;
    }
    const dot = dotOf(graph, "zmp");
    if (values.svg === undefined) {
      await writeStdout(dot);
      return 0;
    }
    const svg = await waiting("rendering", renderSvg(dot));
    await writeSvg(values.svg, svg);
    console.log(
      `wrote ${values.svg} (${plural(graph.nodes.length, "node")}, ${
        plural(graph.services.length, "service")
      }, ${plural(graph.topics.length, "topic")})`,
    );
    return 0;
  });
}

async function writeStdout(text: string): Promise<void> {
  const bytes = new TextEncoder().encode(text);
  let written = 0;
  while (written < bytes.length) {
    written += await Deno.stdout.write(bytes.subarray(written));
  }
}

async function writeSvg(file: string, svg: string): Promise<void> {
  try {
    await Deno.writeTextFile(file, svg);
  } catch (e) {
    // Deno's messages end with the call and path: `...: open '/x/y.svg'`.
    const reason = String((e as Error)?.message ?? e).split("\n")[0]
      .replace(/: \w+ '.*'$/, "");
    throw new CliError(
      `cannot write the SVG to ${JSON.stringify(file)}: ${reason}`,
      { cause: e },
    );
  }
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}
