/**
 * Template literal types as regular expressions: `` `prod_${number}` `` →
 * `^prod_(?:-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)$`, the strings the
 * type checker accepts for it.
 *
 * @module
 */

import { ts } from "ts-morph";

const F = ts.TypeFlags;

/** What a `${number}` placeholder matches: a finite number as text. */
const NUMBER = String.raw`-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?`;
const BIGINT = String.raw`-?\d+`;

/** Escapes regular-expression syntax in literal text. */
export function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/]/g, "\\$&");
}

/**
 * The anchored pattern of a template literal type, or the placeholder it
 * cannot express.
 *
 * @param type the template literal type
 * @param checker the type checker (to print a placeholder)
 * @returns the pattern, or `{ placeholder }` naming what is not supported
 */
export function templatePattern(
  type: ts.TemplateLiteralType,
  checker: ts.TypeChecker,
): string | { placeholder: string } {
  const inner = body(type, checker);
  return typeof inner === "string" ? `^${inner}$` : inner;
}

function body(
  type: ts.TemplateLiteralType,
  checker: ts.TypeChecker,
): string | { placeholder: string } {
  let out = escapeRegExp(type.texts[0]);
  for (let i = 0; i < type.types.length; i++) {
    const part = placeholder(type.types[i], checker);
    if (typeof part !== "string") return part;
    out += part + escapeRegExp(type.texts[i + 1]);
  }
  return out;
}

function placeholder(
  t: ts.Type,
  checker: ts.TypeChecker,
): string | { placeholder: string } {
  const f = t.flags;
  if (f & F.String) return "[\\s\\S]*";
  if (f & F.Number) return `(?:${NUMBER})`;
  if (f & F.BigInt) return `(?:${BIGINT})`;
  if (f & F.Boolean) return "(?:true|false)";
  if (f & F.StringLiteral) {
    return escapeRegExp((t as ts.StringLiteralType).value);
  }
  if (f & F.NumberLiteral) {
    return escapeRegExp(String((t as ts.NumberLiteralType).value));
  }
  if (f & F.BooleanLiteral) return checker.typeToString(t);
  if (f & F.Null) return "null";
  if (f & F.Undefined) return "undefined";
  if (f & F.TemplateLiteral) {
    const inner = body(t as ts.TemplateLiteralType, checker);
    return typeof inner === "string" ? `(?:${inner})` : inner;
  }
  if (t.isUnion()) {
    const parts: string[] = [];
    for (const m of t.types) {
      const p = placeholder(m, checker);
      if (typeof p !== "string") return p;
      parts.push(p);
    }
    return `(?:${parts.join("|")})`;
  }
  return { placeholder: checker.typeToString(t) };
}
