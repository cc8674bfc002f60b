/**
 * Client emitter: a typed class per service, a thin layer over the
 * runtime's untyped `RpcClientLike`.
 *
 * Each method takes the interface's parameters as declared, then
 * `options?: CallOptions` last; a caller skipping an optional parameter
 * passes `undefined` for it.
 *
 * @module
 */

import type { Method, Service } from "./model.ts";
import { names } from "./_names.ts";
import { docComment, printType } from "./_print.ts";

/** A name not used by any parameter of `method`. */
export function freeName(
  method: Method,
  wanted: string,
  fallback: string,
): string {
  return method.params.some((p) => p.name === wanted) ? fallback : wanted;
}

/** The result type of a method as its caller sees it. */
export function resultType(method: Method): string {
  const t = printType(method.result);
  return method.kind === "unary" ? `Promise<${t}>` : `AsyncIterable<${t}>`;
}

/** The typed client class of `service`. */
export function emitClient(service: Service): string {
  const t = service.typeName;
  const methods = service.methods.map((m) => {
    const options = freeName(m, "options", "callOptions");
    const params = m.params.map((p) =>
      `${p.name}${p.optional ? "?" : ""}: ${printType(p.type)}`
    );
    params.push(`${options}?: CallOptions`);
    const call = m.kind === "unary" ? "call" : "stream";
    const args = `[${m.params.map((p) => p.name).join(", ")}]`;
    const ret = resultType(m);
    return `${docComment(m.doc)}${m.name}(${params.join(", ")}): ${ret} {\n` +
      `return this.rpc.${call}(${names.service(t)}, ${
        names.methods(t)
      }.${m.name}, ${args}, ${options}) as ${ret};\n}\n`;
  });
  const doc =
    `Typed client of service \`${service.wireName}\`: each method forwards to ` +
    "the untyped client given to the constructor." +
    (service.doc ? `\n\n${service.doc}` : "");
  return `${docComment(doc)}export class ${names.client(t)} {\n` +
    `/** The untyped client that carries the calls. */\nreadonly rpc: RpcClientLike;\n\n` +
    `/** @param rpc the untyped client that carries the calls */\n` +
    `constructor(rpc: RpcClientLike) {\nthis.rpc = rpc;\n}\n\n` +
    `${methods.join("\n")}}\n`;
}
