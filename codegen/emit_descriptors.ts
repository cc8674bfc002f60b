/**
 * Descriptor emitter: per service, the descriptor, the typed client class
 * and handler type, and `serveX`; per topic and params group, the
 * descriptor. Each is one line over the runtime: the schema document
 * carries the data, the user's own interface carries the signatures.
 *
 * @module
 */

import type { ParamsGroup, Service, Topic } from "./model.ts";
import { names } from "./_names.ts";
import { docComment } from "./_print.ts";

/** A service's descriptor, client, handlers and `serveX`. */
export function emitService(service: Service): string {
  const t = service.typeName;
  const wire = JSON.stringify(service.wireName);
  return [
    docComment(
      `Describes service \`${service.wireName}\` (interface \`${t}\`) to the runtime.`,
    ) +
    `export const ${
      names.service(t)
    }: ServiceDescriptor<${t}> = serviceFromSchema(${names.schema}, ${wire});\n`,
    docComment(
      `Typed client of service \`${service.wireName}\`: each method of \`${t}\`, ` +
        "then `options?: CallOptions`, forwarded to the untyped client given to the constructor.",
    ) +
    `export const ${names.client(t)} = clientClass(${names.service(t)});\n` +
    `/** An instance of {@linkcode ${names.client(t)}}. */\n` +
    `export type ${names.client(t)} = ClientOf<${t}>;\n`,
    docComment(
      `What an implementation of service \`${service.wireName}\` provides: one handler ` +
        "per method, called with the validated arguments and then the call context.",
    ) +
    `export type ${names.handlers(t)} = HandlersOf<${t}>;\n`,
    docComment(
      `Registers \`impl\` on \`server\` as service \`${service.wireName}\`.\n\n` +
        "@param server the RPC server\n@param impl the handlers",
    ) +
    `export function ${names.serve(t)}(server: RpcServerLike, impl: ${
      names.handlers(t)
    }): void {\nserver.register(${names.service(t)}, impl);\n}\n`,
  ].join("\n");
}

/** A topic's descriptor. */
export function emitTopic(topic: Topic): string {
  return docComment(
    `Describes topic \`${topic.topic}\` (messages of type \`${topic.typeName}\`).`,
  ) +
    `export const ${
      names.topic(topic.typeName)
    }: TopicDescriptor<${topic.typeName}> = topicFromSchema(${names.schema}, ${
      JSON.stringify(topic.topic)
    });\n`;
}

/** A params group's descriptor. */
export function emitParams(group: ParamsGroup): string {
  return docComment(
    `Describes params namespace \`${group.namespace}\` (interface \`${group.typeName}\`).` +
      (group.doc ? `\n\n${group.doc}` : ""),
  ) +
    `export const ${
      names.params(group.typeName)
    }: ParamsDescriptor<${group.typeName}> = paramsFromSchema(${names.schema}, ${
      JSON.stringify(group.namespace)
    });\n`;
}
