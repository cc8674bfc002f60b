/**
 * ROS 1 definitions → a zmp `.api.ts` (what `zmp ros types` writes): one
 * interface per message type, named by `tsTypeName` (`std_msgs/String` →
 * `StdMsgsString`), so that codegen makes validators and descriptors for
 * the zmp side of a bridge. Topics get a `@topic` alias, services a
 * `@service` interface whose method takes the request's fields as
 * parameters and returns the response.
 *
 * @module
 */

import type {
  MessageDefinition,
  MessageDefinitionField,
  RosMessageType,
  RosTypes,
} from "./ros_types.ts";
import { tsTypeName } from "./convert.ts";

/** What to write. */
export interface RosApiRequest {
  /** Message types, `pkg/Name`. */
  messages: readonly string[];
  /** Service types, `pkg/Name` (their request and response are written). */
  services: readonly string[];
  /** zmp topics to declare, each with its ROS message type. */
  topics: readonly { zmp: string; type: string }[];
  /** zmp service methods to declare, each with its ROS service type. */
  methods: readonly { service: string; method: string; type: string }[];
  /** The command that wrote the file, for its header. */
  command: string;
}

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/**
 * Writes the `.api.ts` text.
 *
 * @param types where the definitions come from
 * @param request what to write
 * @returns the file's text
 * @throws {RosTypeError} when a type cannot be found
 * @throws {TypeError} for a service or method name that is not an identifier
 */
export function emitRosApi(types: RosTypes, request: RosApiRequest): string {
  const written = new Map<string, string>();
  let usesTime = false;
  const addMessage = (type: RosMessageType) => {
    for (const def of type.definitions) {
      const name = def.name ?? type.name;
      if (written.has(name)) continue;
      const [text, time] = emitInterface(
        name,
        def,
        name === type.name ? type.md5 : undefined,
      );
      usesTime ||= time;
      written.set(name, text);
    }
  };
  for (const name of request.messages) addMessage(types.message(name));
  for (const t of request.topics) addMessage(types.message(t.type));
  for (const name of request.services) {
    const service = types.service(name);
    addMessage(service.request);
    addMessage(service.response);
  }
  // A method takes the request's fields as parameters: only the response
  // (and what the request's fields use) needs an interface.
  for (const m of request.methods) {
    const service = types.service(m.type);
    addMessage(service.response);
    const [, ...nested] = service.request.definitions;
    addMessage({ ...service.request, definitions: nested });
  }

  const out: string[] = [
    "/**",
    " * ROS 1 types for zmp, written by",
    ` * \`${request.command}\`.`,
    " * Run it again to refresh this file, then `deno task codegen` on it.",
    " *",
    " * @module",
    " */",
    "",
  ];
  if (usesTime) {
    out.push(
      "/** A ROS `time` or `duration`: seconds and nanoseconds. */",
      "export interface RosTime {",
      "  sec: number;",
      "  nsec: number;",
      "}",
      "",
    );
  }
  for (const name of [...written.keys()].sort()) {
    out.push(written.get(name)!, "");
  }
  for (const t of [...request.topics].sort((a, b) => a.zmp < b.zmp ? -1 : 1)) {
    out.push(
      "/**",
      ` * zmp topic ${t.zmp}: ROS ${t.type}.`,
      ` * @topic ${t.zmp}`,
      " */",
      `export type ${tsTypeName(t.zmp)} = ${tsTypeName(t.type)};`,
      "",
    );
  }
  const byService = new Map<string, { method: string; type: string }[]>();
  for (const m of request.methods) {
    for (const id of [m.service, m.method]) {
      if (!IDENT.test(id)) {
        throw new TypeError(
          `Cannot declare zmp service method ${m.service}.${m.method}: ${
            JSON.stringify(id)
          } is not a TypeScript identifier`,
        );
      }
    }
    const list = byService.get(m.service) ?? [];
    list.push(m);
    byService.set(m.service, list);
  }
  for (const [service, methods] of [...byService].sort()) {
    out.push(
      "/**",
      ` * zmp service ${service}, bridged to ROS services.`,
      " * @service",
      " */",
      `export interface ${service} {`,
    );
    for (const m of methods) {
      const type = types.service(m.type);
      const params = type.request.definitions[0].definitions
        .filter((f) => !f.isConstant)
        .map((f) => `${f.name}: ${fieldType(f)}`);
      out.push(
        `  /** ROS service type ${m.type}. */`,
        `  ${m.method}(${params.join(", ")}): Promise<${
          tsTypeName(type.response.name)
        }>;`,
      );
    }
    out.push("}", "");
  }
  return `${out.join("\n").trimEnd()}\n`;
}

function emitInterface(
  name: string,
  def: MessageDefinition,
  md5: string | undefined,
): [string, boolean] {
  const lines = [
    "/**",
    ` * ROS message ${name}${md5 ? ` (md5 ${md5})` : ""}.`,
  ];
  const constants = def.definitions.filter((f) => f.isConstant);
  if (constants.length > 0) {
    lines.push(
      ` * Constants: ${
        constants.map((c) => `${c.name} = ${c.valueText ?? String(c.value)}`)
          .join(", ")
      }.`,
    );
  }
  lines.push(" */");
  if (!def.definitions.some((f) => !f.isConstant)) {
    lines.push("// deno-lint-ignore no-empty-interface");
  }
  lines.push(`export interface ${tsTypeName(name)} {`);
  let time = false;
  for (const f of def.definitions) {
    if (f.isConstant) continue;
    if (f.type === "time" || f.type === "duration") time = true;
    if (f.isArray && f.arrayLength !== undefined) {
      lines.push(`  /** Exactly ${f.arrayLength} items. */`);
    }
    lines.push(`  ${f.name}: ${fieldType(f)};`);
  }
  lines.push("}");
  return [lines.join("\n"), time];
}

function fieldType(f: MessageDefinitionField): string {
  if (f.isArray) {
    if (f.type === "uint8") return "Uint8Array";
    return `${fieldType({ ...f, isArray: false })}[]`;
  }
  if (f.isComplex) return tsTypeName(f.type);
  switch (f.type) {
    case "bool":
      return "boolean";
    case "string":
      return "string";
    case "int64":
    case "uint64":
      return "bigint";
    case "time":
    case "duration":
      return "RosTime";
    default:
      return "number";
  }
}
