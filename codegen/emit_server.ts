/**
 * Server emitter: the handlers interface a service implementation
 * satisfies, and a `serveX` function registering it.
 *
 * A handler receives the declared parameters (optional ones as
 * `T | undefined`), then the call context last.
 *
 * @module
 */

import type { Method, Service, TypeNode } from "./model.ts";
import { names } from "./_names.ts";
import { docComment, printType } from "./_print.ts";
import { freeName } from "./emit_client.ts";

function allowsUndefined(node: TypeNode): boolean {
  return node.kind === "undefined" ||
    (node.kind === "union" && node.members.some((m) => m.kind === "undefined"));
}

function handlerSignature(m: Method): string {
  const params = m.params.map((p) => {
    const type = printType(p.type);
    return `${p.name}: ${
      p.optional && !allowsUndefined(p.type) ? `${type} | undefined` : type
    }`;
  });
  params.push(`${freeName(m, "ctx", "callContext")}: CallContext`);
  const result = printType(m.result);
  const returns = m.kind === "unary"
    ? `Promise<${result}> | ${result}`
    : `AsyncIterable<${result}>`;
  return `${docComment(m.doc)}${m.name}(${params.join(", ")}): ${returns};\n`;
}

/** The handlers interface and `serveX` function of `service`. */
export function emitServer(service: Service): string {
  const t = service.typeName;
  const doc =
    `What an implementation of service \`${service.wireName}\` provides: one ` +
    "handler per method, called with the validated arguments and the call context.";
  return `${docComment(doc)}export interface ${names.handlers(t)} {\n` +
    `${service.methods.map(handlerSignature).join("\n")}}\n\n` +
    docComment(
      `Registers \`impl\` on \`server\` as service \`${service.wireName}\`.\n\n` +
        "@param server the RPC server\n@param impl the handlers",
    ) +
    `export function ${names.serve(t)}(server: RpcServerLike, impl: ${
      names.handlers(t)
    }): void {\n` +
    `server.register(${names.service(t)}, impl);\n}\n`;
}
