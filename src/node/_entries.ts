/**
 * What a node tells the registry about the services, topics and params it
 * uses: names and endpoints for discovery, plus the JSON Schemas from the
 * generated descriptors, so that tools (`zmp call`, `zmp pub`, `zmp param
 * set`, `zmp list`) can check input without the user's source code.
 *
 * @module
 */

import type {
  ParamsDescriptor,
  ServiceDescriptor,
  TopicDescriptor,
} from "../wire/descriptors.ts";
import type {
  ParamGroupEntry,
  PublicationEntry,
  ServiceEntry,
  SubscriptionEntry,
} from "../registry/types.ts";

/**
 * The registry entry of a provided service.
 *
 * @param service the generated descriptor
 * @param endpoint where the node's `RpcServer` listens
 * @returns the entry, with every method's schemas
 */
export function serviceEntry(
  service: ServiceDescriptor,
  endpoint: string,
): ServiceEntry {
  return {
    name: service.name,
    endpoint,
    codec: service.codec,
    methods: Object.values(service.methods).map((m) => ({
      name: m.name,
      kind: m.kind,
      idempotent: m.idempotent,
      params: [...m.params],
      requiredParams: m.requiredParams,
      args: m.argsSchema,
      result: m.resultSchema,
      ...(m.doc ? { doc: m.doc } : {}),
    })),
    ...(service.hash ? { hash: service.hash } : {}),
    ...(service.doc ? { doc: service.doc } : {}),
  };
}

/**
 * The registry entry of a publisher.
 *
 * @param topic the generated descriptor
 * @param endpoint where the publisher's socket listens
 * @param latched whether late joiners get the last value
 * @returns the entry
 */
export function publicationEntry(
  topic: TopicDescriptor,
  endpoint: string,
  latched: boolean,
): PublicationEntry {
  return {
    topic: topic.name,
    endpoint,
    typeName: topic.typeName,
    latched,
    codec: topic.codec,
    schema: topic.schema,
    ...(topic.hash ? { hash: topic.hash } : {}),
  };
}

/**
 * The registry entry of a subscription.
 *
 * @param topic the generated descriptor
 * @returns the entry
 */
export function subscriptionEntry(topic: TopicDescriptor): SubscriptionEntry {
  return {
    topic: topic.name,
    typeName: topic.typeName,
    schema: topic.schema,
    ...(topic.hash ? { hash: topic.hash } : {}),
  };
}

/**
 * The registry entry of a params group.
 *
 * @param group the generated descriptor
 * @returns the entry, with each key's schema
 */
export function paramGroupEntry(group: ParamsDescriptor): ParamGroupEntry {
  return {
    namespace: group.namespace,
    typeName: group.typeName,
    keys: Object.values(group.keys).map((k) => ({
      name: k.name,
      optional: k.optional,
      schema: k.schema,
      ...(k.doc ? { doc: k.doc } : {}),
    })),
    ...(group.hash ? { hash: group.hash } : {}),
  };
}
