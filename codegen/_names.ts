/**
 * The names of everything a generated module declares, in one place: the
 * emitters use them, and the parser checks them against the user's names.
 *
 * @module
 */

import type { FileModel } from "./model.ts";
import { identifierPart, lowerFirst, upperFirst } from "./_print.ts";

/** Generated names, from the names the user declared. */
export const names = {
  service: (type: string): string => `${type}Service`,
  client: (type: string): string => `${type}Client`,
  handlers: (type: string): string => `${type}Handlers`,
  serve: (type: string): string => `serve${type}`,
  methods: (type: string): string => `${lowerFirst(type)}Methods`,
  args: (type: string, method: string): string =>
    `${lowerFirst(type)}${upperFirst(method)}Args`,
  result: (type: string, method: string): string =>
    `${lowerFirst(type)}${upperFirst(method)}Result`,
  topic: (type: string): string => `${type}Topic`,
  params: (type: string): string => `${type}Params`,
  paramKey: (type: string, key: string): string =>
    `${lowerFirst(type)}${upperFirst(identifierPart(key))}Param`,
  validator: (type: string): string => `validate${type}`,
  defs: "schemaDefs",
} as const;

/** Names imported from the zmp runtime by generated modules. */
export const RUNTIME_NAMES = [
  "CallContext",
  "CallOptions",
  "MethodDescriptor",
  "ParamsDescriptor",
  "RpcClientLike",
  "RpcServerLike",
  "ServiceDescriptor",
  "TopicDescriptor",
  "ValidationIssue",
  "Validator",
  "describe",
] as const;

/** Private helpers generated modules may declare. */
const HELPERS = ["_isObject", "_passes", names.defs];

/**
 * Every top-level name the generated module for `model` declares or
 * imports from the runtime, with what it is generated for.
 */
export function generatedNames(model: FileModel): Map<string, string> {
  const out = new Map<string, string>();
  const add = (name: string, what: string) => {
    if (!out.has(name)) out.set(name, what);
  };
  for (const n of RUNTIME_NAMES) add(n, "an import from zmp");
  for (const n of HELPERS) add(n, "a generated helper");
  for (const s of model.services) {
    const what = `service ${s.typeName}`;
    for (
      const n of [
        names.service,
        names.client,
        names.handlers,
        names.serve,
        names.methods,
      ]
    ) {
      add(n(s.typeName), what);
    }
    for (const m of s.methods) {
      add(names.args(s.typeName, m.name), what);
      add(names.result(s.typeName, m.name), what);
    }
  }
  for (const t of model.topics) {
    add(names.topic(t.typeName), `topic ${t.topic}`);
  }
  for (const g of model.params) {
    add(names.params(g.typeName), `params ${g.namespace}`);
    for (const k of g.keys) {
      add(names.paramKey(g.typeName, k.name), `params ${g.namespace}`);
    }
  }
  for (const t of model.types) add(names.validator(t.name), `type ${t.name}`);
  return out;
}
