/**
 * Finds the tag property of a discriminated union.
 *
 * @module
 */

import type { ObjectNode, TypeNode } from "./model.ts";

/**
 * Rebuilds `node` with the discriminant of every union below it filled in.
 *
 * @param node a converted type
 * @param resolve follows a reference to the type it names
 */
export function withDiscriminants(
  node: TypeNode,
  resolve: (t: TypeNode) => TypeNode,
): TypeNode {
  const walk = (t: TypeNode): TypeNode => {
    switch (t.kind) {
      case "array":
      case "set":
        return { ...t, element: walk(t.element) };
      case "map":
        return { ...t, key: walk(t.key), value: walk(t.value) };
      case "tuple":
        return {
          ...t,
          elements: t.elements.map((e) => ({ ...e, type: walk(e.type) })),
        };
      case "object":
        return {
          ...t,
          properties: t.properties.map((p) => ({ ...p, type: walk(p.type) })),
          ...(t.index ? { index: walk(t.index) } : {}),
        };
      case "union": {
        const members = t.members.map(walk);
        const discriminant = findDiscriminant(members, resolve);
        return {
          kind: "union",
          members,
          ...(discriminant ? { discriminant } : {}),
        };
      }
      default:
        return t;
    }
  };
  return walk(node);
}

/**
 * The name of a property that every object member of `members` has,
 * required, typed by literals that no other member uses; the first such
 * property of the first object member. `undefined` when there are fewer
 * than two object members or no such property.
 *
 * @param members the union's members
 * @param resolve follows a reference to the type it names
 */
export function findDiscriminant(
  members: readonly TypeNode[],
  resolve: (t: TypeNode) => TypeNode,
): string | undefined {
  const objects = members.map(resolve).filter((t): t is ObjectNode =>
    t.kind === "object"
  );
  if (objects.length < 2) return undefined;
  for (const candidate of objects[0].properties) {
    if (candidate.optional) continue;
    const seen = new Set<unknown>();
    let ok = true;
    for (const o of objects) {
      const p = o.properties.find((q) => q.name === candidate.name);
      const values = p && !p.optional
        ? literalsOf(resolve(p.type), resolve)
        : undefined;
      if (!values || values.some((v) => seen.has(v))) {
        ok = false;
        break;
      }
      for (const v of values) seen.add(v);
    }
    if (ok) return candidate.name;
  }
  return undefined;
}

/** The literal values a node allows, or `undefined` if it allows others. */
export function literalsOf(
  node: TypeNode,
  resolve: (t: TypeNode) => TypeNode,
): (string | number | boolean)[] | undefined {
  if (node.kind === "literal") return [node.value];
  if (node.kind !== "union") return undefined;
  const out: (string | number | boolean)[] = [];
  for (const m of node.members) {
    const values = literalsOf(resolve(m), resolve);
    if (!values) return undefined;
    out.push(...values);
  }
  return out;
}
