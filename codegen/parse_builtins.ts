/**
 * Conversion of literal types and of the standard-library types zmp
 * supports (`Array`, `Record`, `Map`, `Set`, `Date`, `Uint8Array`…).
 *
 * @module
 */

import { Node, SyntaxKind, type TypeNode as TsTypeNode } from "ts-morph";
import type { TypeNode } from "./model.ts";
import { type Complaint, unsupportedLibType } from "./_unsupported.ts";

/** What the builtin conversions need from the converter. */
export interface ConvertHooks {
  /** Converts a nested type. */
  convert(node: TsTypeNode): TypeNode;
  /** Records an error at `node` and returns a placeholder type. */
  fail(node: Node, complaint: Complaint): TypeNode;
}

const PLACEHOLDER: TypeNode = { kind: "null" };

/** A literal type: string, number (negative too), boolean or `null`. */
export function literalType(
  node: Node & { getLiteral(): Node },
  hooks: ConvertHooks,
): TypeNode {
  const lit = node.getLiteral();
  if (
    Node.isStringLiteral(lit) || Node.isNoSubstitutionTemplateLiteral(lit)
  ) {
    return { kind: "literal", value: lit.getLiteralValue() };
  }
  if (Node.isNumericLiteral(lit)) {
    return { kind: "literal", value: lit.getLiteralValue() };
  }
  if (Node.isPrefixUnaryExpression(lit)) {
    const operand = lit.getOperand();
    if (
      lit.getOperatorToken() === SyntaxKind.MinusToken &&
      Node.isNumericLiteral(operand)
    ) {
      return { kind: "literal", value: -operand.getLiteralValue() };
    }
  }
  switch (lit.getKind()) {
    case SyntaxKind.TrueKeyword:
      return { kind: "literal", value: true };
    case SyntaxKind.FalseKeyword:
      return { kind: "literal", value: false };
    case SyntaxKind.NullKeyword:
      return { kind: "null" };
  }
  return hooks.fail(node, {
    problem: `Literal type \`${node.getText()}\` is not supported`,
    hint: "use string, number or boolean literals (or `bigint`)",
  });
}

/** A standard-library type by name, with its type arguments. */
export function libraryType(
  node: Node,
  name: string,
  args: TsTypeNode[],
  hooks: ConvertHooks,
): TypeNode {
  const arity = (n: number) => {
    if (args.length === n) return true;
    hooks.fail(node, {
      problem: `\`${name}\` needs ${n} type argument${n === 1 ? "" : "s"}`,
      hint: `write \`${name}<${n === 1 ? "T" : "K, V"}>\``,
    });
    return false;
  };
  switch (name) {
    case "Array":
    case "ReadonlyArray":
      return arity(1)
        ? {
          kind: "array",
          element: hooks.convert(args[0]),
          readonly: name !== "Array",
        }
        : PLACEHOLDER;
    case "Map":
    case "ReadonlyMap":
      return arity(2)
        ? {
          kind: "map",
          key: hooks.convert(args[0]),
          value: hooks.convert(args[1]),
        }
        : PLACEHOLDER;
    case "Set":
    case "ReadonlySet":
      return arity(1)
        ? { kind: "set", element: hooks.convert(args[0]) }
        : PLACEHOLDER;
    case "Record":
      return arity(2) ? recordType(args[0], args[1], hooks) : PLACEHOLDER;
    case "Date":
      return { kind: "date" };
    case "Uint8Array":
      return { kind: "bytes" };
  }
  return hooks.fail(node, unsupportedLibType(name));
}

function recordType(
  keyNode: TsTypeNode,
  valueNode: TsTypeNode,
  hooks: ConvertHooks,
): TypeNode {
  const value = hooks.convert(valueNode);
  if (keyNode.getKind() === SyntaxKind.StringKeyword) {
    return { kind: "object", properties: [], index: value };
  }
  const key = hooks.convert(keyNode);
  const keys = key.kind === "union" ? key.members : [key];
  const names = keys.flatMap((k) =>
    k.kind === "literal" && typeof k.value === "string" ? [k.value] : []
  );
  if (names.length !== keys.length) {
    return hooks.fail(keyNode, {
      problem: `\`Record\` keyed by \`${keyNode.getText()}\` is not supported`,
      hint:
        "key a Record by `string` or by a union of string literals, or use a `Map`",
    });
  }
  return {
    kind: "object",
    properties: names.map((name) => ({
      name,
      type: value,
      optional: false,
      readonly: false,
    })),
  };
}
