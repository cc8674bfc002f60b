/**
 * The names of everything a generated module declares, in one place: the
 * emitters use them, and the parser checks them against the user's names.
 *
 * @module
 */

import type { FileModel } from "./model.ts";

/** Generated names, from the names the user declared. */
export const names = {
  service: (type: string): string => `${type}Service`,
  client: (type: string): string => `${type}Client`,
  handlers: (type: string): string => `${type}Handlers`,
  serve: (type: string): string => `serve${type}`,
  topic: (type: string): string => `${type}Topic`,
  params: (type: string): string => `${type}Params`,
  /** The binding of the imported schema document. */
  schema: "schema",
} as const;

/** Names imported from the zmp runtime by generated modules. */
export const RUNTIME_NAMES = [
  "ClientOf",
  "HandlersOf",
  "ParamsDescriptor",
  "RpcServerLike",
  "ServiceDescriptor",
  "TopicDescriptor",
  "clientClass",
  "paramsFromSchema",
  "serviceFromSchema",
  "topicFromSchema",
] as const;

/** Whether a runtime name is a type (imported with `type`). */
export function isTypeName(name: string): boolean {
  return /^[A-Z]/.test(name);
}

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
  add(names.schema, "the import of the schema document");
  for (const s of model.services) {
    const what = `service ${s.typeName}`;
    for (
      const n of [names.service, names.client, names.handlers, names.serve]
    ) {
      add(n(s.typeName), what);
    }
  }
  for (const t of model.topics) {
    add(names.topic(t.typeName), `topic ${t.topic}`);
  }
  for (const g of model.params) {
    add(names.params(g.typeName), `params ${g.namespace}`);
  }
  return out;
}
