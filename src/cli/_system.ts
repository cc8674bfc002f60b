/**
 * The running system as tools see it: the registry's nodes regrouped by
 * service, topic and params group. `zmp list`, `zmp call`, `zmp pub` and
 * `zmp graph` read it; everything is sorted so output is stable.
 *
 * Nodes whose names start with `_` are tools (the CLI's own `zmp echo`
 * and `zmp pub` nodes): hidden unless asked for, as ROS 2 hides `_` nodes.
 *
 * @module
 */

import type {
  JsonSchema,
  MethodEntry,
  NodeInfo,
  ParamGroupEntry,
} from "../registry/types.ts";
import type { CodecName } from "../wire/descriptors.ts";

/** Whether a node is a tool, hidden from listings unless `--all`. */
export function isHidden(name: string): boolean {
  return name.startsWith("_");
}

/**
 * The nodes to show, sorted by name.
 *
 * @param nodes every live node
 * @param all include hidden (`_`) nodes
 * @returns the nodes to show
 */
export function visibleNodes(nodes: NodeInfo[], all: boolean): NodeInfo[] {
  return nodes.filter((n) => all || !isHidden(n.name))
    .sort((a, b) => compare(a.name, b.name));
}

/** One service and its live instances. */
export interface ServiceView {
  /** Its wire name. */
  name: string;
  /** Its codec, when registered. */
  codec?: CodecName;
  /** Its summary, when registered. */
  doc?: string;
  /** Its methods, from the first instance that registered them. */
  methods?: MethodEntry[];
  /** Every live instance: which node, where. */
  instances: { node: string; endpoint: string }[];
}

/** One topic, its publishers and subscribers. */
export interface TopicView {
  /** The topic name. */
  topic: string;
  /** Its message type name (from the first publisher, else subscriber). */
  typeName: string;
  /** Whether some publisher latches it. */
  latched: boolean;
  /** The codec of its messages, when registered. */
  codec?: CodecName;
  /** JSON Schema of a message, when registered. */
  schema?: JsonSchema;
  /** Who publishes it, and where. */
  publishers: { node: string; endpoint: string; typeName: string }[];
  /** Who subscribes to it. */
  subscribers: { node: string; typeName: string }[];
}

/**
 * The services of `nodes`, sorted by name, instances by node.
 *
 * @param nodes the nodes
 * @returns one view per service
 */
export function servicesOf(nodes: NodeInfo[]): ServiceView[] {
  const byName = new Map<string, ServiceView>();
  for (const node of nodes) {
    for (const s of node.services) {
      let view = byName.get(s.name);
      if (view === undefined) {
        view = { name: s.name, instances: [] };
        byName.set(s.name, view);
      }
      view.codec ??= s.codec;
      view.doc ??= s.doc;
      view.methods ??= s.methods;
      view.instances.push({ node: node.name, endpoint: s.endpoint });
    }
  }
  const views = [...byName.values()].sort((a, b) => compare(a.name, b.name));
  for (const v of views) v.instances.sort((a, b) => compare(a.node, b.node));
  return views.map(dropUndefined);
}

/**
 * The topics of `nodes` (published or subscribed), sorted by name.
 *
 * @param nodes the nodes
 * @returns one view per topic
 */
export function topicsOf(nodes: NodeInfo[]): TopicView[] {
  const byName = new Map<string, TopicView>();
  const view = (topic: string, typeName: string) => {
    let v = byName.get(topic);
    if (v === undefined) {
      v = { topic, typeName, latched: false, publishers: [], subscribers: [] };
      byName.set(topic, v);
    }
    return v;
  };
  for (const node of nodes) {
    for (const p of node.publishes) {
      const v = view(p.topic, p.typeName);
      if (v.publishers.length === 0) v.typeName = p.typeName;
      v.latched ||= p.latched;
      v.codec ??= p.codec;
      if (p.schema !== undefined && v.publishers.length === 0) {
        v.schema = p.schema;
      }
      v.publishers.push({
        node: node.name,
        endpoint: p.endpoint,
        typeName: p.typeName,
      });
    }
  }
  for (const node of nodes) {
    for (const s of node.subscribes) {
      const v = view(s.topic, s.typeName);
      v.schema ??= s.schema;
      v.subscribers.push({ node: node.name, typeName: s.typeName });
    }
  }
  const views = [...byName.values()].sort((a, b) => compare(a.topic, b.topic));
  for (const v of views) {
    v.publishers.sort((a, b) => compare(a.node, b.node));
    v.subscribers.sort((a, b) => compare(a.node, b.node));
  }
  return views.map(dropUndefined);
}

/**
 * The typed params groups the nodes use, by namespace (the first node's
 * definition wins).
 *
 * @param nodes the nodes
 * @returns the groups, sorted by namespace
 */
export function paramGroupsOf(nodes: NodeInfo[]): ParamGroupEntry[] {
  const byName = new Map<string, ParamGroupEntry>();
  for (const node of nodes) {
    for (const g of node.paramGroups ?? []) {
      if (!byName.has(g.namespace)) byName.set(g.namespace, g);
    }
  }
  return [...byName.values()].sort((a, b) => compare(a.namespace, b.namespace));
}

/** Code-point order, the same on every machine (no locale). */
export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function dropUndefined<T extends object>(value: T): T {
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined) delete (value as Record<string, unknown>)[k];
  }
  return value;
}

/**
 * Finds a topic among the live nodes' publications and subscriptions.
 *
 * @param nodes every live node
 * @param topic the topic name
 * @returns its view, or `undefined`
 */
export function findTopic(
  nodes: NodeInfo[],
  topic: string,
): TopicView | undefined {
  return topicsOf(nodes).find((t) => t.topic === topic);
}

/**
 * Why a topic cannot be used: nobody publishes or subscribes to it, with
 * the topics that do exist.
 *
 * @param nodes every live node
 * @param topic the topic name
 * @returns one line
 */
export function unknownTopic(nodes: NodeInfo[], topic: string): string {
  const names = topicsOf(nodes).map((t) => t.topic);
  return `no live node publishes or subscribes to topic "${topic}" (${
    names.length === 0
      ? "no topics are live"
      : `live topics: ${names.join(", ")}`
  })`;
}
