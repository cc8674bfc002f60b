/**
 * Runtime descriptors made from what nodes registered (their JSON
 * Schemas), for bridges that call, publish and subscribe to whatever is
 * live without generated code.
 *
 * @module
 */

import type {
  JsonSchema,
  MethodEntry,
  NodeInfo,
  ServiceEntry,
} from "../registry/types.ts";
import type {
  CodecName,
  MethodDescriptor,
  ServiceDescriptor,
  TopicDescriptor,
  Validator,
} from "../wire/descriptors.ts";
import { validatorFromSchema } from "../wire/json_schema.ts";

const anything: Validator = () => {};

/**
 * A method descriptor from a registered method.
 *
 * @param entry what the node registered
 * @returns the descriptor, validating with the registered schemas
 */
export function methodFromEntry(entry: MethodEntry): MethodDescriptor {
  return {
    name: entry.name,
    kind: entry.kind,
    idempotent: entry.idempotent,
    params: entry.params,
    requiredParams: entry.requiredParams,
    validateArgs: validatorFromSchema(entry.args),
    validateResult: validatorFromSchema(entry.result),
    argsSchema: entry.args,
    resultSchema: entry.result,
    ...(entry.doc === undefined ? {} : { doc: entry.doc }),
  };
}

/**
 * A service descriptor from a registered service.
 *
 * @param entry what the node registered (with its methods)
 * @returns the descriptor
 */
export function serviceFromEntry(entry: ServiceEntry): ServiceDescriptor {
  const methods: Record<string, MethodDescriptor> = {};
  for (const m of entry.methods ?? []) methods[m.name] = methodFromEntry(m);
  return {
    name: entry.name,
    codec: entry.codec ?? "msgpack",
    methods,
    source: "registry",
    ...(entry.doc === undefined ? {} : { doc: entry.doc }),
  };
}

/** A live topic: its type, schema and codec, from the first node that has them. */
export interface LiveTopic {
  /** The topic name. */
  name: string;
  /** The message type's name. */
  typeName: string;
  /** JSON Schema of a message, when registered. */
  schema?: JsonSchema;
  /** The codec publishers use. */
  codec: CodecName;
  /** Nodes that publish it, by name. */
  publishers: string[];
  /** Nodes that subscribe to it, by name. */
  subscribers: string[];
}

/**
 * The topics live nodes publish or subscribe to, by name.
 *
 * @param nodes the live nodes
 * @returns the topics
 */
export function liveTopics(nodes: readonly NodeInfo[]): Map<string, LiveTopic> {
  const topics = new Map<string, LiveTopic>();
  const get = (name: string, typeName: string) => {
    let t = topics.get(name);
    if (t === undefined) {
      t = { name, typeName, codec: "msgpack", publishers: [], subscribers: [] };
      topics.set(name, t);
    }
    return t;
  };
  for (const node of nodes) {
    for (const p of node.publishes) {
      const t = get(p.topic, p.typeName);
      if (t.publishers.length === 0) {
        t.typeName = p.typeName;
        if (p.codec !== undefined) t.codec = p.codec;
        if (p.schema !== undefined) t.schema = p.schema;
      }
      t.publishers.push(node.name);
    }
  }
  for (const node of nodes) {
    for (const s of node.subscribes) {
      const t = get(s.topic, s.typeName);
      t.schema ??= s.schema;
      t.subscribers.push(node.name);
    }
  }
  return topics;
}

/**
 * A topic descriptor for a live topic.
 *
 * @param topic the live topic
 * @returns the descriptor (no check when no schema was registered)
 */
export function topicFromLive(topic: LiveTopic): TopicDescriptor {
  return {
    name: topic.name,
    typeName: topic.typeName,
    codec: topic.codec,
    validate: topic.schema === undefined
      ? anything
      : validatorFromSchema(topic.schema),
    schema: topic.schema ?? {},
    source: "registry",
  };
}

/**
 * The services live nodes provide, by name (the first registration with
 * methods wins).
 *
 * @param nodes the live nodes
 * @returns each service's entry and the nodes providing it
 */
export function liveServices(
  nodes: readonly NodeInfo[],
): Map<string, { entry: ServiceEntry; nodes: string[] }> {
  const services = new Map<string, { entry: ServiceEntry; nodes: string[] }>();
  for (const node of nodes) {
    for (const s of node.services) {
      const known = services.get(s.name);
      if (known === undefined) {
        services.set(s.name, { entry: s, nodes: [node.name] });
      } else {
        known.nodes.push(node.name);
        if (known.entry.methods === undefined && s.methods !== undefined) {
          known.entry = s;
        }
      }
    }
  }
  return services;
}
