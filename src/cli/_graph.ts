/**
 * The running system as a graph, for `zmp graph`: a plain sorted model
 * built from the registry's nodes ({@linkcode systemGraph}), emitted as
 * Graphviz DOT ({@linkcode graphDot}) and rendered to SVG with
 * `@viz-js/viz` ({@linkcode renderSvg}, loaded only when called).
 *
 * What is drawn: every node, the services it provides, the topics it
 * publishes and subscribes to, and the params namespaces it uses. Clients
 * of a service do not register, so who calls whom cannot be drawn.
 *
 * @module
 */

import type { NodeInfo, RunMode } from "../registry/types.ts";
import { compare, servicesOf, topicsOf, visibleNodes } from "./_system.ts";

/** A zmp node in the graph. */
export interface GraphNode {
  /** `node:<name>`. */
  id: string;
  /** Its name. */
  name: string;
  /** Its OS process id. */
  pid: number;
  /** Its host. */
  host: string;
  /** How it runs. */
  mode: RunMode;
}

/** A service in the graph. */
export interface GraphService {
  /** `service:<name>`. */
  id: string;
  /** Its wire name. */
  name: string;
}

/** A topic in the graph. */
export interface GraphTopic {
  /** `topic:<name>`. */
  id: string;
  /** The topic name. */
  name: string;
  /** Its message type name. */
  typeName: string;
  /** Whether some publisher latches it. */
  latched: boolean;
}

/** A params namespace in the graph. */
export interface GraphParams {
  /** `param:<namespace>`. */
  id: string;
  /** The namespace. */
  namespace: string;
  /** The group's interface name, when some node registered it. */
  typeName?: string;
}

/**
 * What an edge means: a node `provides` a service, `publishes` a topic
 * (node → topic), `subscribes` to one (topic → node), `uses` params.
 */
export type GraphEdgeKind = "provides" | "publishes" | "subscribes" | "uses";

/** An edge between two ids of the graph. */
export interface GraphEdge {
  /** The id it starts from. */
  from: string;
  /** The id it points to. */
  to: string;
  /** What it means. */
  kind: GraphEdgeKind;
}

/** The running system as a graph: every list sorted, so output is stable. */
export interface SystemGraph {
  /** The zmp nodes, by name. */
  nodes: GraphNode[];
  /** The services, by name. */
  services: GraphService[];
  /** The topics, by name. */
  topics: GraphTopic[];
  /** The params namespaces, by namespace. */
  params: GraphParams[];
  /** The edges, by `from`, then `to`, then `kind`. */
  edges: GraphEdge[];
}

/** Options of {@linkcode systemGraph} and {@linkcode graphDot}. */
export interface GraphOptions {
  /**
   * Include hidden nodes (names starting with `_`, the CLI's own tools).
   * @default {false}
   */
  all?: boolean;
}

/** Options of {@linkcode graphDot}. */
export interface GraphDotOptions extends GraphOptions {
  /**
   * The name of the digraph.
   * @default {"zmp"}
   */
  name?: string;
}

/**
 * Builds the graph of a running system. Services, topics and params
 * appear only when a shown node touches them: a topic only a hidden node
 * subscribes to is left out with that node. The ids are the kind, a
 * colon and the name (`node:camera`, `service:vision.Detector`,
 * `topic:camera/image`, `param:camera`), so kinds never collide.
 *
 * @example
 * ```ts
 * import { systemGraph } from "./_graph.ts";
 *
 * const graph = systemGraph([{
 *   name: "camera", instanceId: "i", pid: 7, host: "h", mode: "worker",
 *   services: [], publishes: [], subscribes: [], params: ["camera"],
 *   startedAt: 0,
 * }]);
 * console.log(graph.edges); // [{ from: "node:camera", to: "param:camera", kind: "uses" }]
 * ```
 *
 * @param nodes the registry's nodes, in any order
 * @param options whether to include hidden nodes
 * @returns the graph, sorted
 */
export function systemGraph(
  nodes: NodeInfo[],
  options: GraphOptions = {},
): SystemGraph {
  const shown = visibleNodes(nodes, options.all ?? false);
  const edges = new Map<string, GraphEdge>();
  const edge = (from: string, to: string, kind: GraphEdgeKind) => {
    edges.set(JSON.stringify([from, to, kind]), { from, to, kind });
  };
  const services = servicesOf(shown).map((s) => {
    const id = `service:${s.name}`;
    for (const i of s.instances) edge(`node:${i.node}`, id, "provides");
    return { id, name: s.name };
  });
  const topics = topicsOf(shown).map((t) => {
    const id = `topic:${t.topic}`;
    for (const p of t.publishers) edge(`node:${p.node}`, id, "publishes");
    for (const s of t.subscribers) edge(id, `node:${s.node}`, "subscribes");
    return { id, name: t.topic, typeName: t.typeName, latched: t.latched };
  });
  const params = new Map<string, GraphParams>();
  for (const node of shown) {
    const namespaces = [
      ...node.params,
      ...(node.paramGroups ?? []).map((g) => g.namespace),
    ];
    for (const namespace of namespaces) {
      const id = `param:${namespace}`;
      if (!params.has(namespace)) params.set(namespace, { id, namespace });
      edge(`node:${node.name}`, id, "uses");
    }
    for (const g of node.paramGroups ?? []) {
      params.get(g.namespace)!.typeName ??= g.typeName;
    }
  }
  return {
    nodes: shown.map((n) => ({
      id: `node:${n.name}`,
      name: n.name,
      pid: n.pid,
      host: n.host,
      mode: n.mode,
    })),
    services,
    topics,
    params: [...params.values()].sort((a, b) =>
      compare(a.namespace, b.namespace)
    ),
    edges: [...edges.values()].sort((a, b) =>
      compare(a.from, b.from) || compare(a.to, b.to) ||
      compare(a.kind, b.kind)
    ),
  };
}

/** Shape and label style per kind; the order is the order of the output. */
const NODE_ATTRS = 'shape="box", style="filled", fillcolor="#dbe9f6"';
const SERVICE_ATTRS = 'shape="ellipse", style="filled", fillcolor="#e3f1dc"';
const TOPIC_ATTRS = 'shape="note", style="filled", fillcolor="#fdf1d6"';
const PARAMS_ATTRS = 'shape="folder", style="filled", fillcolor="#eeeeee"';

/**
 * Writes the graph of a running system in Graphviz DOT: each zmp node a
 * box (its name, then `pid <pid>, <mode>`), each service an ellipse, each
 * topic a note (its name, then its message type, `latched` when it is),
 * each params namespace a folder (its namespace, then its group's type).
 * Edges: node → service (`provides`), publisher → topic (`publishes`),
 * topic → subscriber (`subscribes`), node → params (`uses`, dashed).
 *
 * Nodes on more than one host are grouped in one box (a cluster) per host.
 * Clients of a service are not in the registry, so calls are not drawn.
 * Hidden nodes (`_` names) are left out unless `all`. The same nodes in
 * any order give byte-identical output; every id and label is quoted
 * with {@linkcode escapeDot}.
 *
 * @example
 * ```ts
 * import { graphDot } from "./_graph.ts";
 *
 * console.log(graphDot([])); // 'digraph "zmp" {\n  rankdir="LR";\n…'
 * ```
 *
 * @param nodes the registry's nodes, in any order
 * @param options whether to include hidden nodes; the digraph's name
 * @returns the DOT text, ending with a newline
 */
export function graphDot(
  nodes: NodeInfo[],
  options: GraphDotOptions = {},
): string {
  return dotOf(systemGraph(nodes, options), options.name ?? "zmp");
}

/**
 * Writes a {@linkcode SystemGraph} in Graphviz DOT (see
 * {@linkcode graphDot}).
 *
 * @param graph the graph
 * @param name the digraph's name
 * @returns the DOT text, ending with a newline
 */
export function dotOf(graph: SystemGraph, name: string): string {
  const lines = [
    `digraph ${escapeDot(name)} {`,
    `  rankdir="LR";`,
    `  node [fontname="Helvetica", fontsize="11"];`,
    `  edge [fontname="Helvetica", fontsize="9", color="#555555"];`,
  ];
  const vertex = (id: string, attrs: string, label: string[]) =>
    `  ${escapeDot(id)} [${attrs}, label=${escapeDot(label.join("\n"))}];`;
  const hosts = [...new Set(graph.nodes.map((n) => n.host))].sort(compare);
  if (hosts.length <= 1) {
    for (const n of graph.nodes) {
      lines.push(vertex(n.id, NODE_ATTRS, [n.name, `pid ${n.pid}, ${n.mode}`]));
    }
  } else {
    // Nodes on several hosts: one box per host around its nodes.
    for (const host of hosts) {
      lines.push(
        `  subgraph ${escapeDot(`cluster_host:${host}`)} {`,
        `    label=${
          escapeDot(`host ${host}`)
        }; style="rounded"; color="#888888";`,
      );
      for (const n of graph.nodes.filter((n) => n.host === host)) {
        lines.push(
          `  ${vertex(n.id, NODE_ATTRS, [n.name, `pid ${n.pid}, ${n.mode}`])}`,
        );
      }
      lines.push("  }");
    }
  }
  for (const s of graph.services) {
    lines.push(vertex(s.id, SERVICE_ATTRS, [s.name]));
  }
  for (const t of graph.topics) {
    const type = t.latched ? `${t.typeName}, latched` : t.typeName;
    lines.push(vertex(t.id, TOPIC_ATTRS, [t.name, type]));
  }
  for (const p of graph.params) {
    const label = p.typeName === undefined
      ? [p.namespace]
      : [p.namespace, p.typeName];
    lines.push(vertex(p.id, PARAMS_ATTRS, label));
  }
  for (const e of graph.edges) {
    const style = e.kind === "uses" ? ', style="dashed"' : "";
    lines.push(
      `  ${escapeDot(e.from)} -> ${escapeDot(e.to)} [label=${
        escapeDot(e.kind)
      }${style}];`,
    );
  }
  lines.push("}", "");
  return lines.join("\n");
}

/**
 * Quotes a string for DOT, as an id or a label, so that Graphviz shows it
 * exactly as written: `\` and `"` are escaped (so `\N` and friends stay
 * literal), `&` becomes `&amp;` (Graphviz reads entities such as `&#65;`
 * in labels), a line break becomes `\n` (a centered line break in a label)
 * and a carriage return `\r`; characters SVG cannot carry (controls other
 * than tab) become U+FFFD.
 *
 * @example
 * ```ts
 * import { escapeDot } from "./_graph.ts";
 *
 * console.log(escapeDot('say "hi" & \\N')); // "say \"hi\" &amp; \\N"
 * ```
 *
 * @param text any string
 * @returns it as a DOT quoted string, quotes included
 */
export function escapeDot(text: string): string {
  const body = text.replace(
    // deno-lint-ignore no-control-regex
    /[\\"&\n\r\x00-\x08\x0b\x0c\x0e-\x1f]/g,
    (c) => ESCAPES[c] ?? "\ufffd",
  );
  return `"${body}"`;
}

const ESCAPES: Record<string, string> = {
  "\\": "\\\\",
  '"': '\\"',
  "&": "&amp;",
  "\n": "\\n",
  "\r": "\\r",
};

type Viz = Awaited<ReturnType<typeof import("@viz-js/viz").instance>>;

let viz: Promise<Viz> | undefined;

/**
 * Renders DOT to SVG with Graphviz compiled to WebAssembly
 * (`@viz-js/viz`), loaded on the first call only.
 *
 * @example
 * ```ts
 * import { graphDot, renderSvg } from "./_graph.ts";
 *
 * const svg = await renderSvg(graphDot([]));
 * console.log(svg.includes("<svg")); // true
 * ```
 *
 * @param dot the graph, in DOT
 * @returns the SVG document
 * @throws {SyntaxError} when Graphviz cannot read `dot`
 */
export async function renderSvg(dot: string): Promise<string> {
  viz ??= import("@viz-js/viz").then((m) => m.instance()).catch((e) => {
    viz = undefined;
    throw e;
  });
  const instance = await viz;
  try {
    return instance.renderString(dot, { format: "svg", engine: "dot" });
  } catch (e) {
    throw new SyntaxError(
      `Cannot render the graph: ${String((e as Error)?.message ?? e)}`,
      { cause: e },
    );
  }
}
