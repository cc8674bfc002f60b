/**
 * Printing helpers shared by the emitters: model types as TypeScript type
 * text, plain values as JavaScript literals, doc comments, names.
 *
 * @module
 */

import type { TypeNode } from "./model.ts";

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** Whether `name` can be written bare as a property name or after a dot. */
export function isIdentifier(name: string): boolean {
  return IDENTIFIER.test(name);
}

/** A property key as written in an object type or literal. */
export function propertyKey(name: string): string {
  return isIdentifier(name) ? name : JSON.stringify(name);
}

/** `add` → `Add`. */
export function upperFirst(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** `Calculator` → `calculator`. */
export function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

/** `max-speed` → `max_speed`: usable inside an identifier. */
export function identifierPart(s: string): string {
  return s.replace(/[^\w$]/g, "_");
}

/** A literal value as TypeScript/JavaScript source. */
export function literal(value: string | number | boolean): string {
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}

/** The model type as TypeScript type text. */
export function printType(node: TypeNode): string {
  switch (node.kind) {
    case "string":
    case "number":
    case "boolean":
    case "bigint":
    case "null":
    case "undefined":
    case "void":
      return node.kind;
    case "date":
      return "Date";
    case "bytes":
      return "Uint8Array";
    case "literal":
      return node.enumMember
        ? `${node.enumMember.enum}.${node.enumMember.member}`
        : literal(node.value);
    case "ref":
      return node.name;
    case "array":
      return `${node.readonly ? "readonly " : ""}${operand(node.element)}[]`;
    case "tuple": {
      const elements = node.elements.map((e) =>
        e.optional ? `${operand(e.type)}?` : printType(e.type)
      );
      return `${node.readonly ? "readonly " : ""}[${elements.join(", ")}]`;
    }
    case "object": {
      const members = node.properties.map((p) =>
        `${p.readonly ? "readonly " : ""}${propertyKey(p.name)}${
          p.optional ? "?" : ""
        }: ${printType(p.type)}`
      );
      if (node.index) members.push(`[key: string]: ${printType(node.index)}`);
      return members.length ? `{ ${members.join("; ")} }` : "{}";
    }
    case "map":
      return `Map<${printType(node.key)}, ${printType(node.value)}>`;
    case "set":
      return `Set<${printType(node.element)}>`;
    case "union":
      return node.members.map(printType).join(" | ");
  }
}

function operand(node: TypeNode): string {
  const text = printType(node);
  const needsParens = node.kind === "union" ||
    ((node.kind === "array" || node.kind === "tuple") && node.readonly);
  return needsParens ? `(${text})` : text;
}

/** A piece of code to print verbatim inside {@linkcode jsValue} output. */
export class Code {
  /** @param code the source text */
  constructor(readonly code: string) {}
}

/** Plain data (and {@linkcode Code}) as a JavaScript expression. */
export function jsValue(value: unknown): string {
  if (value instanceof Code) return value.code;
  if (Array.isArray(value)) return `[${value.map(jsValue).join(", ")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value).map(([k, v]) =>
      `${propertyKey(k)}: ${jsValue(v)}`
    );
    return entries.length ? `{ ${entries.join(", ")} }` : "{}";
  }
  return JSON.stringify(value);
}

/** A `/** … *\/` block for `text`, or `""` when there is no text. */
export function docComment(text: string | undefined): string {
  if (!text) return "";
  const lines = text.replaceAll("*/", "*\\/").split("\n");
  if (lines.length === 1) return `/** ${lines[0]} */\n`;
  return `/**\n${lines.map((l) => (l ? ` * ${l}` : " *")).join("\n")}\n */\n`;
}
