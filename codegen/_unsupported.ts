/**
 * What to say about type syntax zmp cannot describe: a problem and a hint
 * per construct.
 *
 * @module
 */

import { type Node, SyntaxKind } from "ts-morph";

/** A problem and what to write instead. */
export interface Complaint {
  problem: string;
  hint: string;
}

const JSON_HINT =
  "write the actual type; for free-form JSON declare a recursive alias: " +
  "`type Json = string | number | boolean | null | Json[] | { [key: string]: Json }`";
const EXPLICIT_HINT =
  "write the resulting type explicitly (an interface, a literal union…)";

const BY_KIND: Partial<Record<SyntaxKind, Complaint>> = {
  [SyntaxKind.AnyKeyword]: {
    problem: "`any` is not supported",
    hint: JSON_HINT,
  },
  [SyntaxKind.UnknownKeyword]: {
    problem: "`unknown` is not supported",
    hint: JSON_HINT,
  },
  [SyntaxKind.NeverKeyword]: {
    problem: "`never` is not supported",
    hint: "remove it",
  },
  [SyntaxKind.ObjectKeyword]: {
    problem: "`object` is not supported: it says nothing about the properties",
    hint:
      "declare an interface with its properties, or use `Record<string, T>`",
  },
  [SyntaxKind.SymbolKeyword]: {
    problem: "Symbols are not supported: they cannot travel",
    hint: "use a string literal union",
  },
  [SyntaxKind.VoidKeyword]: {
    problem: "`void` is only allowed as a method result (`Promise<void>`)",
    hint: "use `undefined`",
  },
  [SyntaxKind.IntersectionType]: {
    problem: "Intersection types are not supported",
    hint: "declare `interface X extends A, B { … }` instead of `A & B`",
  },
  [SyntaxKind.FunctionType]: {
    problem: "Function types are not supported: functions cannot travel",
    hint:
      "send data; to push values to a caller, declare a streaming method returning `AsyncIterable<T>`",
  },
  [SyntaxKind.ConstructorType]: {
    problem: "Constructor types are not supported: they cannot travel",
    hint: "send data described by an interface",
  },
  [SyntaxKind.TemplateLiteralType]: {
    problem: "Template literal types are not supported",
    hint: "use `string`, or a union of string literals",
  },
  [SyntaxKind.TypeQuery]: {
    problem: "`typeof` types are not supported",
    hint: EXPLICIT_HINT,
  },
  [SyntaxKind.IndexedAccessType]: {
    problem: "Indexed access types are not supported",
    hint: "name the type of that property (a type alias) and reference it",
  },
  [SyntaxKind.ConditionalType]: {
    problem: "Conditional types are not supported",
    hint: EXPLICIT_HINT,
  },
  [SyntaxKind.MappedType]: {
    problem: "Mapped types are not supported",
    hint: EXPLICIT_HINT,
  },
  [SyntaxKind.InferType]: {
    problem: "`infer` types are not supported",
    hint: EXPLICIT_HINT,
  },
  [SyntaxKind.ImportType]: {
    problem: "`import(…)` types are not supported",
    hint: 'write `import type { X } from "./x.ts"` at the top and use `X`',
  },
  [SyntaxKind.ThisType]: {
    problem: "`this` types are not supported",
    hint: EXPLICIT_HINT,
  },
};

/** The complaint about a type node of an unsupported kind. */
export function unsupportedKeyword(node: Node): Complaint {
  return BY_KIND[node.getKind()] ?? {
    problem: `Type \`${node.getText()}\` is not supported`,
    hint: SUPPORTED_HINT,
  };
}

const SUPPORTED_HINT =
  "use primitives, literals, enums, unions, arrays, tuples, " +
  "interfaces, Record<string, T>, Map, Set, Date or Uint8Array";

const UTILITY = new Set([
  "Partial",
  "Required",
  "Readonly",
  "Pick",
  "Omit",
  "Exclude",
  "Extract",
  "NonNullable",
  "ReturnType",
  "Parameters",
  "Awaited",
  "InstanceType",
]);

const BOXED = new Set([
  "String",
  "Number",
  "Boolean",
  "Object",
  "Symbol",
  "BigInt",
]);

const BINARY = new Set([
  "ArrayBuffer",
  "SharedArrayBuffer",
  "DataView",
  "Int8Array",
  "Uint8ClampedArray",
  "Int16Array",
  "Uint16Array",
  "Int32Array",
  "Uint32Array",
  "Float32Array",
  "Float64Array",
  "BigInt64Array",
  "BigUint64Array",
]);

/** The complaint about a standard-library type other than the supported ones. */
export function unsupportedLibType(name: string): Complaint {
  if (name === "Promise" || name === "PromiseLike") {
    return {
      problem: `\`${name}\` is only allowed as a method's return type`,
      hint: "pass the resolved value: write `T` instead of `Promise<T>`",
    };
  }
  if (name.startsWith("AsyncIterable") || name === "AsyncGenerator") {
    return {
      problem:
        `\`${name}\` is only allowed as a method's return type (server streaming)`,
      hint: "return `AsyncIterable<T>` from a method of a `@service` interface",
    };
  }
  if (UTILITY.has(name)) {
    return {
      problem: `Utility type \`${name}\` is not supported`,
      hint: "declare the resulting interface or alias explicitly",
    };
  }
  if (BOXED.has(name)) {
    return {
      problem: `Boxed type \`${name}\` is not supported`,
      hint:
        `use the primitive \`${name.toLowerCase()}\` (or an interface for objects)`,
    };
  }
  if (BINARY.has(name)) {
    return {
      problem:
        `\`${name}\` is not supported: binary data travels as \`Uint8Array\``,
      hint: "use `Uint8Array`",
    };
  }
  if (name === "Function") {
    return BY_KIND[SyntaxKind.FunctionType]!;
  }
  return { problem: `\`${name}\` is not supported`, hint: SUPPORTED_HINT };
}
