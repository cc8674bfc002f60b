/**
 * Descriptor emitter: the `ServiceDescriptor`, `TopicDescriptor` and
 * `ParamsDescriptor` constants the runtime consumes, with the private
 * validators and the JSON Schemas they carry.
 *
 * @module
 */

import type {
  FileModel,
  ParamsGroup,
  Service,
  Topic,
  TypeNode,
} from "./model.ts";
import { names } from "./_names.ts";
import { Code, docComment, jsValue } from "./_print.ts";
import {
  argsSchemaOf,
  defsOf,
  hasRef,
  type Schema,
  schemaOf,
} from "./emit_schema.ts";
import { VALIDATOR_PARAMS, type ValidatorWriter } from "./emit_validators.ts";

/** The `schemaDefs` constant, or `""` when no schema references a named type. */
export function emitSchemaDefs(model: FileModel): string {
  if (model.types.length === 0) return "";
  return `/** JSON Schemas of the named types, shared by the descriptors' schemas. */\n` +
    `const ${names.defs}: Record<string, unknown> = ${
      jsValue(defsOf(model))
    };\n`;
}

/** A schema as code, with the shared `$defs` attached when it needs them. */
function schemaCode(schema: Schema): Code {
  return new Code(
    jsValue(
      hasRef(schema) ? { ...schema, $defs: new Code(names.defs) } : schema,
    ),
  );
}

/** The validator of a type: `validateX` for a reference, else a private function. */
function validatorFor(
  node: TypeNode,
  name: string,
  writer: ValidatorWriter,
  out: string[],
): Code {
  if (node.kind === "ref") return new Code(names.validator(node.name));
  out.push(writer.privateValidator(name, node));
  return new Code(name);
}

/**
 * A service's method table and descriptor, preceded by the private
 * validators of its arguments and results.
 */
export function emitServiceDescriptor(
  model: FileModel,
  service: Service,
  writer: ValidatorWriter,
): string {
  const t = service.typeName;
  const functions: string[] = [];
  const methods: Record<string, unknown> = {};
  for (const m of service.methods) {
    const args = names.args(t, m.name);
    functions.push(
      `function ${args}(${VALIDATOR_PARAMS}): void {\n${
        writer.argsBody(m.params)
      }\n}\n`,
    );
    methods[m.name] = {
      name: m.name,
      kind: m.kind,
      idempotent: m.idempotent,
      params: m.params.map((p) => p.name),
      requiredParams: m.params.filter((p) => !p.optional).length,
      validateArgs: new Code(args),
      validateResult: validatorFor(
        m.result,
        names.result(t, m.name),
        writer,
        functions,
      ),
      argsSchema: schemaCode(argsSchemaOf(m)),
      resultSchema: schemaCode(schemaOf(m.result)),
      ...(m.doc ? { doc: m.doc } : {}),
    };
  }
  const descriptor = {
    name: service.wireName,
    codec: service.codec,
    methods: new Code(names.methods(t)),
    source: model.source,
    ...(service.doc ? { doc: service.doc } : {}),
  };
  return [
    ...functions,
    `const ${names.methods(t)} = ${
      jsValue(methods)
    } satisfies Record<string, MethodDescriptor>;\n`,
    docComment(
      `Describes service \`${service.wireName}\` (interface \`${t}\`) to the runtime.`,
    ) +
    `export const ${names.service(t)}: ServiceDescriptor<${t}> = ${
      jsValue(descriptor)
    };\n`,
  ].join("\n");
}

/** A topic's descriptor. */
export function emitTopicDescriptor(model: FileModel, topic: Topic): string {
  const ref: TypeNode = { kind: "ref", name: topic.typeName };
  const descriptor = {
    name: topic.topic,
    typeName: topic.typeName,
    codec: topic.codec,
    validate: new Code(names.validator(topic.typeName)),
    schema: schemaCode(schemaOf(ref)),
    source: model.source,
    ...(topic.doc ? { doc: topic.doc } : {}),
  };
  return docComment(
    `Describes topic \`${topic.topic}\` (messages of type \`${topic.typeName}\`).`,
  ) +
    `export const ${
      names.topic(topic.typeName)
    }: TopicDescriptor<${topic.typeName}> = ${jsValue(descriptor)};\n`;
}

/** A params group's descriptor, preceded by the private validators of its keys. */
export function emitParamsDescriptor(
  model: FileModel,
  group: ParamsGroup,
  writer: ValidatorWriter,
): string {
  const functions: string[] = [];
  const keys: Record<string, unknown> = {};
  for (const k of group.keys) {
    keys[k.name] = {
      name: k.name,
      optional: k.optional,
      validate: validatorFor(
        k.type,
        names.paramKey(group.typeName, k.name),
        writer,
        functions,
      ),
      schema: schemaCode(schemaOf(k.type)),
      ...(k.doc ? { doc: k.doc } : {}),
    };
  }
  const descriptor = {
    namespace: group.namespace,
    typeName: group.typeName,
    keys: new Code(jsValue(keys)),
    validate: new Code(names.validator(group.typeName)),
    schema: schemaCode(schemaOf({ kind: "ref", name: group.typeName })),
    source: model.source,
  };
  return [
    ...functions,
    docComment(
      `Describes params namespace \`${group.namespace}\` (interface \`${group.typeName}\`).` +
        (group.doc ? `\n\n${group.doc}` : ""),
    ) +
    `export const ${
      names.params(group.typeName)
    }: ParamsDescriptor<${group.typeName}> = ${jsValue(descriptor)};\n`,
  ].join("\n");
}
