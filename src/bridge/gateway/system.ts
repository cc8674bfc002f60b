/**
 * The running system as the gateway shows it: the registry's live nodes
 * regrouped by service, topic and param key, with type text for people.
 * `GET /system` sends it, the page draws it, the OpenAPI document and the
 * routes look services, topics and params up in it.
 *
 * @module
 */

import type {
  JsonSchema,
  MethodEntry,
  NodeInfo,
  RunMode,
} from "../../registry/types.ts";
import type { CodecName } from "../../wire/descriptors.ts";
import { schemaToTypeText } from "../../wire/json_schema.ts";

/** One live node. */
export interface NodeSummary {
  /** Its unique name. */
  name: string;
  /** Its host. */
  host: string;
  /** Its process id. */
  pid: number;
  /** How it runs. */
  mode: RunMode;
  /** When it registered, ms since the epoch. */
  startedAt: number;
  /**
   * Whether to hide it by default: a tool (its name starts with `_`), or
   * the gateway's own node.
   */
  hidden: boolean;
  /** The services it provides. */
  services: string[];
  /** The topics it publishes. */
  publishes: string[];
  /** The topics it subscribes to. */
  subscribes: string[];
  /** The params namespaces it uses. */
  params: string[];
}

/** One parameter of a method, for forms and signatures. */
export interface ParamView {
  /** Its name. */
  name: string;
  /** Whether it may be left out. */
  optional: boolean;
  /** Its type as TypeScript text. */
  type: string;
  /** Its JSON Schema, with the method's `$defs`. */
  schema: JsonSchema;
}

/** One method of a service. */
export interface MethodView extends MethodEntry {
  /** Its parameters. */
  parameters: ParamView[];
  /** Its result (or stream item) type as TypeScript text. */
  resultType: string;
  /** `add(a: number, b: number): Promise<number>`. */
  signature: string;
}

/** One service and its live instances. */
export interface ServiceView {
  /** Its wire name. */
  name: string;
  /** The codec its generated clients use. */
  codec?: CodecName;
  /** Its summary. */
  doc?: string;
  /** Its methods, when registered with them. */
  methods?: MethodView[];
  /** Which nodes provide it. */
  instances: { node: string; endpoint: string }[];
}

/** One topic. */
export interface TopicView {
  /** The topic name. */
  name: string;
  /** Its message type name. */
  typeName: string;
  /** Whether a publisher latches it. */
  latched: boolean;
  /** The codec of its messages. */
  codec?: CodecName;
  /** JSON Schema of a message, when registered. */
  schema?: JsonSchema;
  /** Who publishes it. */
  publishers: string[];
  /** Who subscribes to it. */
  subscribers: string[];
}

/** One key of a typed params group. */
export interface ParamKeyView {
  /** The full key, `namespace.name`. */
  key: string;
  /** The group's namespace. */
  namespace: string;
  /** The group's interface name. */
  typeName: string;
  /** Whether the key may be unset. */
  optional: boolean;
  /** JSON Schema of its value. */
  schema: JsonSchema;
  /** Its type as TypeScript text. */
  type: string;
  /** Its summary. */
  doc?: string;
}

/** The whole system, every list sorted by name. */
export interface SystemSnapshot {
  /** The nodes. */
  nodes: NodeSummary[];
  /** The services. */
  services: ServiceView[];
  /** The topics. */
  topics: TopicView[];
  /** The keys of every typed params group some node uses. */
  params: ParamKeyView[];
}

/**
 * Regroups the live nodes by service, topic and param key. For a service,
 * a topic's schema or a params group, the first node (by name) that
 * registered it wins.
 *
 * @param infos the live nodes
 * @param options `hide`: names of nodes to mark hidden besides `_` tools
 * @returns the snapshot
 */
export function systemSnapshot(
  infos: Iterable<NodeInfo>,
  options: { hide?: readonly string[] } = {},
): SystemSnapshot {
  const nodes = [...infos].sort((a, b) => compare(a.name, b.name));
  const services = new Map<string, ServiceView>();
  const topics = new Map<string, TopicView>();
  const params = new Map<string, ParamKeyView>();
  const topic = (name: string, typeName: string) => {
    let t = topics.get(name);
    if (t === undefined) {
      t = { name, typeName, latched: false, publishers: [], subscribers: [] };
      topics.set(name, t);
    }
    return t;
  };
  for (const node of nodes) {
    for (const s of node.services) {
      let view = services.get(s.name);
      if (view === undefined) {
        view = { name: s.name, instances: [] };
        if (s.codec !== undefined) view.codec = s.codec;
        if (s.doc !== undefined) view.doc = s.doc;
        if (s.methods !== undefined) view.methods = s.methods.map(methodView);
        services.set(s.name, view);
      }
      view.instances.push({ node: node.name, endpoint: s.endpoint });
    }
    for (const p of node.publishes) {
      const t = topic(p.topic, p.typeName);
      if (t.publishers.length === 0) {
        t.typeName = p.typeName;
        if (p.codec !== undefined) t.codec = p.codec;
        if (p.schema !== undefined) t.schema = p.schema;
      }
      t.latched ||= p.latched;
      t.publishers.push(node.name);
    }
    for (const s of node.subscribes) {
      const t = topic(s.topic, s.typeName);
      if (t.schema === undefined && s.schema !== undefined) t.schema = s.schema;
      t.subscribers.push(node.name);
    }
    for (const g of node.paramGroups ?? []) {
      for (const k of g.keys) {
        const key = `${g.namespace}.${k.name}`;
        if (params.has(key)) continue;
        const view: ParamKeyView = {
          key,
          namespace: g.namespace,
          typeName: g.typeName,
          optional: k.optional,
          schema: k.schema,
          type: schemaToTypeText(k.schema),
        };
        if (k.doc !== undefined) view.doc = k.doc;
        params.set(key, view);
      }
    }
  }
  return {
    nodes: nodes.map((n) => summary(n, options.hide ?? [])),
    services: sorted(services, (s) => s.name),
    topics: sorted(topics, (t) => t.name),
    params: sorted(params, (p) => p.key),
  };
}

function summary(node: NodeInfo, hide: readonly string[]): NodeSummary {
  return {
    name: node.name,
    host: node.host,
    pid: node.pid,
    mode: node.mode,
    startedAt: node.startedAt,
    hidden: node.name.startsWith("_") || hide.includes(node.name),
    services: node.services.map((s) => s.name),
    publishes: node.publishes.map((p) => p.topic),
    subscribes: node.subscribes.map((s) => s.topic),
    params: [...node.params],
  };
}

function methodView(method: MethodEntry): MethodView {
  const items = (method.args.prefixItems ?? []) as JsonSchema[];
  const defs = method.args.$defs;
  const parameters = method.params.map((name, i): ParamView => {
    const own = items[i] ?? {};
    const schema = defs === undefined || own.$defs !== undefined
      ? own
      : { ...own, $defs: defs };
    return {
      name,
      optional: i >= method.requiredParams,
      type: items[i] === undefined ? "unknown" : schemaToTypeText(own),
      schema,
    };
  });
  const resultType = schemaToTypeText(method.result);
  const wrapper = method.kind === "stream" ? "AsyncIterable" : "Promise";
  const signature = `${method.name}(${
    parameters.map((p) => `${p.name}${p.optional ? "?" : ""}: ${p.type}`)
      .join(", ")
  }): ${wrapper}<${resultType}>`;
  return { ...method, parameters, resultType, signature };
}

function sorted<T>(map: Map<string, T>, key: (v: T) => string): T[] {
  return [...map.values()].sort((a, b) => compare(key(a), key(b)));
}

/** Code-point order, the same on every machine. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
