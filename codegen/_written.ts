/**
 * Where a type is written: the syntax nodes behind a checker type, used to
 * keep what the checker forgets (the order of a union's members, the names
 * of aliases inside unions and of aliases of primitives) and to point
 * errors at the right place.
 *
 * @module
 */

import {
  Node,
  type Symbol as TsSymbol,
  type Type,
  type TypeAliasDeclaration,
} from "ts-morph";
import type { TypeNode } from "./model.ts";

/**
 * The member nodes of a union type written at `at`, when `at` is that
 * union as written (not a generic declaration instantiated elsewhere).
 */
export function writtenUnion(type: Type, at: Node): Node[] | undefined {
  let node = at;
  while (Node.isParenthesizedTypeNode(node)) node = node.getTypeNode();
  if (!Node.isUnionTypeNode(node)) return undefined;
  if (node.getType().compilerType !== type.compilerType) return undefined;
  return node.getTypeNodes();
}

/**
 * The node where a part of a written type (an array's element, a tuple's
 * element, a type argument) is written, when `at` is `type` as written;
 * else `at`. Converting a part at its own node keeps the names of the
 * aliases inside unions there.
 */
export function writtenPart(at: Node, type: Type, part: Type): Node {
  let node = at;
  while (
    Node.isParenthesizedTypeNode(node) || Node.isTypeOperatorTypeNode(node)
  ) {
    node = node.getTypeNode();
  }
  if (node.getType().compilerType !== type.compilerType) {
    // `readonly T[]`: the operator's type is the array type.
    if (at.getType().compilerType !== type.compilerType) return at;
  }
  const candidates: Node[] = Node.isArrayTypeNode(node)
    ? [node.getElementTypeNode()]
    : Node.isTupleTypeNode(node)
    ? node.getElements().map(tupleElementType)
    : Node.isTypeReference(node)
    ? node.getTypeArguments()
    : [];
  return candidates.find((n) =>
    n.getType().compilerType === part.compilerType
  ) ??
    at;
}

export function tupleElementType(el: Node): Node {
  let node = el;
  if (Node.isNamedTupleMember(node)) node = node.getTypeNode();
  if (Node.isOptionalTypeNode(node) || Node.isRestTypeNode(node)) {
    node = node.getTypeNode();
  }
  if (Node.isArrayTypeNode(node) && Node.isRestTypeNode(el)) {
    return node.getElementTypeNode();
  }
  return node;
}

/**
 * The alias `at` names when it is a reference to a non-generic type alias
 * and stands for `type`: what keeps `type Id = string` named, where the
 * checker forgets aliases of primitives.
 */
export function writtenAlias(
  at: Node,
  type: Type,
): TypeAliasDeclaration | undefined {
  if (!Node.isTypeReference(at) || at.getTypeArguments().length > 0) {
    return undefined;
  }
  if (at.getType().compilerType !== type.compilerType) return undefined;
  let symbol = at.getTypeName().getSymbol();
  if (symbol?.isAlias()) symbol = symbol.getAliasedSymbol();
  const decl = symbol?.getDeclarations()[0];
  return decl && Node.isTypeAliasDeclaration(decl) &&
      decl.getTypeParameters().length === 0
    ? decl
    : undefined;
}

/** The properties of a type, those of its base interfaces first. */
export function basesFirst(type: Type): TsSymbol[] {
  const own = type.getProperties();
  const bases = type.getBaseTypes();
  if (bases.length === 0) return own;
  const order: string[] = [];
  for (const base of bases) {
    for (const p of basesFirst(base)) {
      if (!order.includes(p.getName())) order.push(p.getName());
    }
  }
  const rank = (p: TsSymbol) => {
    const i = order.indexOf(p.getName());
    return i < 0 ? order.length : i;
  };
  return own.map((p, i) => ({ p, i }))
    .sort((a, b) => rank(a.p) - rank(b.p) || a.i - b.i)
    .map(({ p }) => p);
}

/** The name node of a declaration (for errors), or the node itself. */
export function nameNode(decl: Node): Node {
  return (decl as Node & { getNameNode?: () => Node }).getNameNode?.() ?? decl;
}

/** Where a property's type is written, to point errors at it. */
export function typeWhere(decl: Node): Node {
  return (decl as Node & { getTypeNode?: () => Node | undefined })
    .getTypeNode?.() ?? decl;
}

/** A converted type without its `undefined` members (an optional member's type). */
export function withoutUndefined(node: TypeNode): TypeNode {
  if (node.kind !== "union") return node;
  const kept = node.members.filter((m) => m.kind !== "undefined");
  return kept.length === 1 ? kept[0] : { kind: "union", members: kept };
}

export function isReadonly(prop: TsSymbol): boolean {
  const decl = prop.getDeclarations()[0];
  if (decl && Node.isPropertySignature(decl)) return decl.isReadonly();
  const check = (prop.compilerSymbol as { links?: { checkFlags?: number } })
    .links?.checkFlags ?? 0;
  return (check & 8) !== 0; // ts.CheckFlags.Readonly
}
