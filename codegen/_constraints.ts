/**
 * Constraints from JSDoc tags on properties, parameters and aliases:
 * `@minimum 0`, `@maxLength 64`, `@pattern ^[a-z]+$`, `@format email`,
 * `@uniqueItems`, `@default 5`… read into JSON Schema keywords, and
 * checked against the type they annotate.
 *
 * @module
 */

import { type Node, ts } from "ts-morph";
import type { Constraints, TypeNode } from "./model.ts";

/** The kinds of value a constraint applies to. */
type Family = "number" | "string" | "array";

interface TagRule {
  readonly family: Family;
  readonly value: "count" | "number" | "flag" | "pattern" | "format";
}

const TAGS: Readonly<Record<string, TagRule>> = {
  minimum: { family: "number", value: "number" },
  maximum: { family: "number", value: "number" },
  exclusiveMinimum: { family: "number", value: "number" },
  exclusiveMaximum: { family: "number", value: "number" },
  multipleOf: { family: "number", value: "number" },
  integer: { family: "number", value: "flag" },
  minLength: { family: "string", value: "count" },
  maxLength: { family: "string", value: "count" },
  pattern: { family: "string", value: "pattern" },
  format: { family: "string", value: "format" },
  minItems: { family: "array", value: "count" },
  maxItems: { family: "array", value: "count" },
  uniqueItems: { family: "array", value: "flag" },
};

/** The formats `@format` accepts. */
export const FORMAT_NAMES = ["email", "uri", "uuid", "date-time"] as const;

/** Where problems go: the node to point at, and what to say. */
export type Report = (
  node: Node,
  message: { problem: string; hint: string },
) => void;

/** A tag as read: name, text, and the node to point errors at. */
interface Tag {
  readonly name: string;
  readonly text: string;
  readonly node: Node;
}

function tagsOf(decl: Node): Tag[] {
  const sf = decl.getSourceFile();
  const factory = (decl as unknown as {
    _context: {
      compilerFactory: {
        getNodeFromCompilerNode(n: ts.Node, sf: ts.SourceFile): Node;
      };
    };
  })._context.compilerFactory;
  return ts.getJSDocTags(decl.compilerNode).map((t) => ({
    name: t.tagName.text,
    text: (ts.getTextOfJSDocComment(t.comment) ?? "").trim(),
    node: factory.getNodeFromCompilerNode(t, sf.compilerNode),
  }));
}

/**
 * Reads the constraint tags of a declaration.
 *
 * @param decl a property, parameter or type alias declaration
 * @param report where problems go
 * @returns the keywords found (`integer: true` for `@integer`), maybe empty
 */
export function readConstraints(decl: Node, report: Report): Constraints {
  const out: Record<string, unknown> = {};
  for (const tag of tagsOf(decl)) {
    if (tag.name === "default") {
      const value = parseDefault(tag.text);
      if (value !== undefined) out.default = value.value;
      continue;
    }
    const rule = Object.hasOwn(TAGS, tag.name) ? TAGS[tag.name] : undefined;
    if (!rule) continue;
    const value = readValue(tag, rule, report);
    if (value !== undefined) out[tag.name] = value;
  }
  return out;
}

function readValue(tag: Tag, rule: TagRule, report: Report): unknown {
  const bad = (hint: string) => {
    report(tag.node, {
      problem: `@${tag.name} ${JSON.stringify(tag.text)} is not valid`,
      hint,
    });
    return undefined;
  };
  switch (rule.value) {
    case "flag":
      return tag.text === "" || tag.text === "true"
        ? true
        : bad(`write \`@${tag.name}\` alone`);
    case "number":
    case "count": {
      const n = Number(tag.text);
      const ok = tag.text !== "" && Number.isFinite(n) &&
        (rule.value === "number" || (Number.isInteger(n) && n >= 0));
      return ok ? n : bad(
        rule.value === "count"
          ? `write a whole number: \`@${tag.name} 1\``
          : `write a number: \`@${tag.name} 0\``,
      );
    }
    case "pattern":
      try {
        new RegExp(tag.text, "u");
        return tag.text === ""
          ? bad("write a regular expression: `@pattern ^[a-z]+$`")
          : tag.text;
      } catch (e) {
        return bad(
          `write a regular expression (${
            (e as Error).message
          }): \`@pattern ^[a-z]+$\``,
        );
      }
    case "format":
      return (FORMAT_NAMES as readonly string[]).includes(tag.text)
        ? tag.text
        : bad(`write one of ${FORMAT_NAMES.map((f) => `\`${f}\``).join(", ")}`);
  }
}

/**
 * `@default 5` → 5, `@default "a"` → "a", `@default fast` → "fast",
 * `@default {200}` (deno doc's form) → 200; `@default {SOME_CONSTANT}`
 * names a value codegen cannot read: `undefined`.
 */
function parseDefault(text: string): { value: unknown } | undefined {
  const braced = /^\{([\s\S]*)\}$/.exec(text);
  try {
    return { value: JSON.parse(braced ? braced[1] : text) };
  } catch {
    return braced ? undefined : { value: text };
  }
}

/**
 * Checks that each constraint fits the type it annotates (`@minimum` on a
 * number, `@maxLength` on a string…), and that `@default` is of that type.
 *
 * @param decl where the tags are (errors point at their tags)
 * @param constraints what {@linkcode readConstraints} found
 * @param type the annotated type, references resolved by `resolve`
 * @param resolve follows a reference to its structure (or returns it)
 * @param report where problems go
 */
export function checkConstraints(
  decl: Node,
  constraints: Constraints,
  type: TypeNode,
  resolve: (t: TypeNode) => TypeNode,
  report: Report,
): void {
  const families = familiesOf(type, resolve);
  if (families === undefined) return;
  const tags = tagsOf(decl);
  for (const [key, value] of Object.entries(constraints)) {
    const tag = tags.find((t) => t.name === key) ?? tags[0];
    if (key === "default") {
      if (!fitsFamily(value, families)) {
        report(tag?.node ?? decl, {
          problem: `@default ${
            JSON.stringify(value)
          } does not fit the type it annotates`,
          hint: "write a JSON value of the property's type: `@default 5`",
        });
      }
      continue;
    }
    const rule = TAGS[key];
    if (rule && !families.has(rule.family)) {
      report(tag?.node ?? decl, {
        problem: `@${key} applies to ${
          rule.family === "array" ? "arrays" : `${rule.family}s`
        }, not to this type`,
        hint: `move it to a ${rule.family} property, or remove it`,
      });
    }
  }
}

/** The families of a type, or `undefined` when it cannot be told yet. */
function familiesOf(
  type: TypeNode,
  resolve: (t: TypeNode) => TypeNode,
): Set<Family | "other"> | undefined {
  const out = new Set<Family | "other">();
  const visit = (t: TypeNode, hops: number): boolean => {
    const r = t.kind === "ref" ? resolve(t) : t;
    if (r.kind === "ref") return hops < 8 ? false : false;
    switch (r.kind) {
      case "number":
        out.add("number");
        return true;
      case "literal":
        out.add(
          typeof r.value === "number"
            ? "number"
            : typeof r.value === "string"
            ? "string"
            : "other",
        );
        return true;
      case "string":
      case "template":
        out.add("string");
        return true;
      case "array":
      case "tuple":
      case "set":
        out.add("array");
        return true;
      case "union":
        return r.members.every((m) => visit(m, hops + 1));
      case "null":
      case "undefined":
        return true;
      default:
        out.add("other");
        return true;
    }
  };
  return visit(type, 0) ? out : undefined;
}

function fitsFamily(value: unknown, families: Set<string>): boolean {
  if (typeof value === "number") return families.has("number");
  if (typeof value === "string") return families.has("string");
  if (Array.isArray(value)) return families.has("array");
  return families.has("other") || value === null;
}
