/**
 * Turns TypeScript types into model {@linkcode TypeNode}s by asking the
 * type checker what each one is, the way typia and ts-json-schema-generator
 * do: generics come instantiated, `Partial`/`Pick`/`Omit`/`Record`,
 * intersections, indexed access, `keyof` and `typeof` come resolved, and
 * what is left is data's structure. Names are kept where the user gave
 * them: an interface, an alias, an enum (with its type arguments when it
 * is generic: `Page<Item>`) becomes a named type of the model.
 *
 * What cannot be data (functions, classes with methods, symbols, `any`,
 * unresolved type parameters…) becomes a located {@linkcode CodegenError}
 * with a hint; conversion goes on with a placeholder so that one run
 * reports every problem.
 *
 * @module
 */

import {
  type EnumDeclaration,
  type InterfaceDeclaration,
  Node,
  type SourceFile,
  type Symbol as TsSymbol,
  ts,
  type Type,
  type TypeAliasDeclaration,
} from "ts-morph";
import { errorAt } from "./_locate.ts";
import { relativePath } from "./_paths.ts";
import type { CodegenError } from "./errors.ts";
import type {
  Constraints,
  NamedType,
  Property,
  TupleElement,
  TypeNode,
} from "./model.ts";
import { jsDocOf } from "./_jsdoc.ts";
import { checkConstraints, readConstraints } from "./_constraints.ts";
import { templatePattern } from "./_template.ts";
import { SUPPORTED_HINT, unsupportedLibType } from "./_unsupported.ts";
import {
  basesFirst,
  isReadonly,
  nameNode,
  typeWhere,
  withoutUndefined,
  writtenAlias,
  writtenPart,
  writtenUnion,
} from "./_written.ts";

/** A declaration that becomes a named type. */
export type NamedDeclaration =
  | InterfaceDeclaration
  | TypeAliasDeclaration
  | EnumDeclaration;

/** What the converter needs from its caller. */
export interface ConverterContext {
  /** Project root: file names in errors and the model are relative to it. */
  readonly root: string;
  /** Where errors go. */
  readonly errors: CodegenError[];
  /** Whether a file is TypeScript's own library (`lib.*.d.ts`). */
  readonly isBuiltin: (file: SourceFile) => boolean;
  /** The compiler's type checker. */
  readonly checker: ts.TypeChecker;
}

const PLACEHOLDER: TypeNode = { kind: "null" };
const F = ts.TypeFlags;
/** How deep anonymous types may nest before conversion gives up. */
const MAX_DEPTH = 64;

interface Entry {
  readonly decl: Node;
  type?: NamedType;
}

/** Converts the types one definition file reaches. */
export class TypeConverter {
  readonly #ctx: ConverterContext;
  readonly #named = new Map<string, Entry>();

  /** @param ctx root, error sink, library test */
  constructor(ctx: ConverterContext) {
    this.#ctx = ctx;
  }

  /** The named types reached so far, sorted by name. */
  types(): NamedType[] {
    return [...this.#named.values()]
      .flatMap((e) => (e.type ? [e.type] : []))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** The declaration of a named type reached so far. */
  declarationOf(name: string): Node | undefined {
    return this.#named.get(name)?.decl;
  }

  /**
   * Registers an exported declaration as a named type (generic ones are
   * skipped: they are named where they are instantiated).
   *
   * @param decl the declaration
   * @returns a reference to it, or `undefined` for a generic declaration
   */
  declared(decl: NamedDeclaration): TypeNode | undefined {
    if (!Node.isEnumDeclaration(decl) && decl.getTypeParameters().length > 0) {
      return undefined;
    }
    return this.convert(decl.getType(), decl.getNameNode(), decl);
  }

  /**
   * Converts a type.
   *
   * @param type the type, as the checker sees it
   * @param at where it is written (errors point there)
   * @param declared the declaration `type` is the type of, if any: it
   *   names the type even where the checker would not (an alias of an
   *   interface)
   * @returns the model type
   */
  convert(type: Type, at: Node, declared?: NamedDeclaration): TypeNode {
    return this.#convert(type, at, 0, declared);
  }

  #convert(
    type: Type,
    at: Node,
    depth: number,
    declared?: NamedDeclaration,
  ): TypeNode {
    if (depth > MAX_DEPTH) {
      return this.#fail(at, {
        problem: "This type nests too deeply to describe",
        hint: "name the inner types (interfaces or aliases)",
      });
    }
    const name = declared
      ? this.#declaredName(declared)
      : this.#nameOf(type, at);
    if (name) return this.#ref(name.name, name.decl, type, at);
    return this.#structure(type, at, depth);
  }

  /** The name a declaration gives its type. */
  #declaredName(decl: NamedDeclaration): { name: string; decl: Node } {
    return { name: decl.getName(), decl };
  }

  /**
   * The name the user gave a type: an alias, interface, class or enum
   * declared outside TypeScript's own library, with its type arguments.
   */
  #nameOf(type: Type, at: Node): { name: string; decl: Node } | undefined {
    const alias = type.getAliasSymbol();
    const aliasDecl = alias?.getDeclarations()[0];
    if (alias && aliasDecl && !this.#builtin(aliasDecl)) {
      const args = type.getAliasTypeArguments();
      return { name: alias.getName() + this.#args(args, at), decl: aliasDecl };
    }
    const written = writtenAlias(at, type);
    if (written && !this.#builtin(written)) {
      return { name: written.getName(), decl: written };
    }
    if (type.isEnumLiteral() && !type.isUnion()) return undefined;
    const symbol = type.getSymbol();
    const decl = symbol?.getDeclarations()[0];
    if (!symbol || !decl || this.#builtin(decl)) return undefined;
    if (
      Node.isInterfaceDeclaration(decl) || Node.isEnumDeclaration(decl) ||
      Node.isClassDeclaration(decl)
    ) {
      const args = type.getTypeArguments();
      return { name: symbol.getName() + this.#args(args, at), decl };
    }
    return undefined;
  }

  /** `<Item, string>`, from the names (or the text) of type arguments. */
  #args(args: Type[], at: Node): string {
    if (args.length === 0) return "";
    const texts = args.map((a) =>
      this.#nameOf(a, at)?.name ??
        a.getText(at, ts.TypeFormatFlags.NoTruncation)
    );
    return `<${texts.join(", ")}>`;
  }

  #ref(name: string, decl: Node, type: Type, at: Node): TypeNode {
    const ref: TypeNode = { kind: "ref", name };
    const seen = this.#named.get(name);
    if (seen) {
      if (seen.decl.compilerNode !== decl.compilerNode) {
        const other = seen.decl;
        const where = `${
          this.#rel(other.getSourceFile())
        }:${other.getStartLineNumber()}`;
        this.#error(nameNode(decl), {
          problem:
            `Two types named \`${name}\` are reachable (the other one is at ${where})`,
          hint:
            "rename one of them: schemas name types by their names (`$defs`)",
        });
      }
      return ref;
    }
    const entry: Entry = { decl };
    this.#named.set(name, entry);
    const info = jsDocOf(decl);
    const written = Node.isTypeAliasDeclaration(decl)
      ? decl.getTypeNode()
      : undefined;
    const structure = this.#structure(type, written ?? nameNode(decl), 0);
    const constraints = Node.isTypeAliasDeclaration(decl)
      ? this.constraints(decl, structure)
      : undefined;
    entry.type = {
      name,
      declaration: Node.isEnumDeclaration(decl)
        ? "enum"
        : Node.isInterfaceDeclaration(decl)
        ? "interface"
        : Node.isClassDeclaration(decl)
        ? "class"
        : "alias",
      file: this.#rel(decl.getSourceFile()),
      type: structure,
      ...(info.description ? { doc: info.description } : {}),
      ...(constraints ? { constraints } : {}),
    };
    void at;
    return ref;
  }

  /** The structure of a type, without naming it. */
  #structure(type: Type, at: Node, depth: number): TypeNode {
    const flags = type.getFlags();
    const next = (t: Type, where: Node = at) =>
      this.#convert(t, where, depth + 1);
    if (flags & F.Any) {
      const unresolved =
        (type.compilerType as { intrinsicName?: string }).intrinsicName ===
          "error";
      return this.#fail(
        at,
        unresolved
          ? {
            problem: `Cannot resolve type \`${at.getText()}\``,
            hint:
              'import it from the file that declares it (`import type { … } from "./x.ts"`)',
          }
          : COMPLAINTS.any,
      );
    }
    if (flags & F.Unknown) return { kind: "unknown" };
    if (flags & F.Never) return this.#fail(at, COMPLAINTS.never);
    if (flags & (F.ESSymbol | F.UniqueESSymbol)) {
      return this.#fail(at, COMPLAINTS.symbol);
    }
    if (flags & F.NonPrimitive) return this.#fail(at, COMPLAINTS.object);
    if (flags & F.TypeParameter) {
      return this.#fail(at, {
        problem: `Type parameter \`${type.getText()}\` is not resolved here`,
        hint:
          "use concrete types where data travels: instantiate the generic (`Page<Item>`)",
      });
    }
    if (flags & F.Void) {
      return this.#fail(at, {
        problem: "`void` is only allowed as a method result (`Promise<void>`)",
        hint: "use `undefined`",
      });
    }
    if (flags & F.String) return { kind: "string" };
    if (flags & F.Number) return { kind: "number" };
    if (flags & F.Boolean) return { kind: "boolean" };
    if (flags & F.BigInt) return { kind: "bigint" };
    if (flags & F.Null) return { kind: "null" };
    if (flags & F.Undefined) return { kind: "undefined" };
    if (type.isEnumLiteral() && !type.isUnion()) return this.#enumMember(type);
    if (flags & F.StringLiteral || flags & F.NumberLiteral) {
      return { kind: "literal", value: type.getLiteralValue() as string };
    }
    if (flags & F.BooleanLiteral) {
      return { kind: "literal", value: type.getText() === "true" };
    }
    if (flags & F.BigIntLiteral) {
      return this.#fail(at, {
        problem: `BigInt literal type \`${type.getText()}\` is not supported`,
        hint: "use `bigint`",
      });
    }
    if (flags & F.TemplateLiteral) return this.#template(type, at);
    if (flags & F.StringMapping) {
      return this.#fail(at, {
        problem: `\`${type.getText()}\` is not supported`,
        hint: "use `string`, a template literal type, or a literal union",
      });
    }
    if (type.isUnion()) {
      const written = writtenUnion(type, at);
      if (written) {
        // As written: source order, and aliases among the members named.
        return this.#union(written.map((n) => n.getType()), at, (t) => {
          const node = written.find((n) => n.getType() === t) ?? at;
          return next(t, node);
        });
      }
      return this.#union(type.getUnionTypes(), at, next);
    }
    if (flags & F.Object || type.isIntersection()) {
      return this.#object(type, at, depth, next);
    }
    return this.#fail(at, {
      problem: `Type \`${type.getText()}\` is not supported`,
      hint: SUPPORTED_HINT,
    });
  }

  #enumMember(type: Type): TypeNode {
    const symbol = type.getSymbol();
    const decl = symbol?.getDeclarations()[0];
    const value = type.getLiteralValue() as string | number;
    if (decl && Node.isEnumMember(decl)) {
      return {
        kind: "literal",
        value,
        enumMember: {
          enum: decl.getParent().getName(),
          member: decl.getName(),
        },
      };
    }
    return { kind: "literal", value };
  }

  #union(
    members: Type[],
    at: Node,
    next: (t: Type) => TypeNode,
  ): TypeNode {
    const bools = members.filter((m) => m.getFlags() & F.BooleanLiteral);
    const out: TypeNode[] = [];
    let boolean = false;
    for (const m of members) {
      if (m.getFlags() & F.BooleanLiteral && bools.length === 2) {
        if (!boolean) out.push({ kind: "boolean" });
        boolean = true;
        continue;
      }
      const t = next(m);
      out.push(...(t.kind === "union" ? t.members : [t]));
    }
    void at;
    return out.length === 1 ? out[0] : { kind: "union", members: out };
  }

  #template(type: Type, at: Node): TypeNode {
    const compiler = type.compilerType as ts.TemplateLiteralType;
    const pattern = templatePattern(compiler, this.#ctx.checker);
    if (typeof pattern !== "string") {
      return this.#fail(at, {
        problem:
          `Template literal type \`${type.getText()}\` has a placeholder zmp cannot check: \`${pattern.placeholder}\``,
        hint:
          "use `${string}`, `${number}`, `${bigint}`, `${boolean}` or literal unions in placeholders",
      });
    }
    return { kind: "template", pattern, text: type.getText() };
  }

  #object(
    type: Type,
    at: Node,
    depth: number,
    next: (t: Type, where?: Node) => TypeNode,
  ): TypeNode {
    const symbol = type.getSymbol();
    const builtin = symbol?.getDeclarations()[0];
    if (symbol && builtin && this.#builtin(builtin)) {
      const lib = this.#library(symbol.getName(), type, at, next);
      if (lib) return lib;
    }
    if (type.isTuple()) return this.#tuple(type, at, next);
    if (type.isArray() || type.isReadonlyArray()) {
      const element = type.getArrayElementType() ??
        type.getTypeArguments()[0];
      return {
        kind: "array",
        element: element
          ? next(element, writtenPart(at, type, element))
          : PLACEHOLDER,
        readonly: type.isReadonlyArray(),
      };
    }
    const arrayBase = type.getBaseTypes().find((b) =>
      b.isArray() || b.isReadonlyArray()
    );
    if (arrayBase) {
      // `interface JSONArray extends Array<JSONValue> {}`
      const element = arrayBase.getArrayElementType() ??
        arrayBase.getTypeArguments()[0];
      return {
        kind: "array",
        element: element ? next(element) : PLACEHOLDER,
        readonly: arrayBase.isReadonlyArray(),
      };
    }
    if (type.getCallSignatures().length > 0) {
      return this.#fail(at, COMPLAINTS.function);
    }
    if (type.getConstructSignatures().length > 0) {
      return this.#fail(at, COMPLAINTS.constructor);
    }
    if (type.isIntersection()) {
      const primitive = type.getIntersectionTypes().find((t) =>
        !(t.getFlags() & F.Object)
      );
      if (primitive) {
        return this.#fail(at, {
          problem:
            `Intersection \`${type.getText()}\` mixes \`${primitive.getText()}\` with an object type`,
          hint: "intersect object types only (`A & B`), or drop the brand",
        });
      }
    }
    const properties: Property[] = [];
    for (const prop of basesFirst(type)) {
      const p = this.#property(prop, at, next);
      if (p) properties.push(p);
    }
    const index = type.getStringIndexType();
    if (!index && type.getNumberIndexType()) {
      return this.#fail(at, {
        problem: "Index signatures keyed by `number` are not supported",
        hint: "key index signatures by `string`, or use a `Map`",
      });
    }
    void depth;
    return {
      kind: "object",
      properties,
      ...(index ? { index: next(index) } : {}),
    };
  }

  #property(
    prop: TsSymbol,
    at: Node,
    next: (t: Type, where?: Node) => TypeNode,
  ): Property | undefined {
    const decl = prop.getValueDeclaration() ?? prop.getDeclarations()[0];
    const where = decl && !this.#builtin(decl) ? decl : at;
    const name = prop.getName();
    if (name.startsWith("__@")) {
      this.#fail(where, {
        problem: "Symbol-keyed properties are not supported",
        hint: "name the property with a string",
      });
      return undefined;
    }
    if (
      prop.getFlags() & ts.SymbolFlags.Method ||
      (decl && (Node.isMethodSignature(decl) || Node.isMethodDeclaration(decl)))
    ) {
      this.#fail(where, {
        problem:
          `Method \`${name}\` in a data type is not supported: functions cannot travel`,
        hint:
          "remove it (a class with methods is not data: declare an interface of its fields), or declare an RPC in a `@service` interface",
      });
      return undefined;
    }
    const optional = prop.isOptional();
    // A property declared as written keeps its type as written (an alias
    // keeps its name); one made by a mapped or generic type is asked for.
    const written = (decl as Node & { getTypeNode?: () => Node | undefined })
      ?.getTypeNode?.();
    const transient = (prop.getFlags() & ts.SymbolFlags.Transient) !== 0;
    const type = written && !transient
      ? written.getType()
      : prop.getTypeAtLocation(at);
    const raw = next(type, typeWhere(where));
    const converted = optional ? withoutUndefined(raw) : raw;
    const info = decl ? jsDocOf(decl) : { tags: [] };
    const constraints = decl && !this.#builtin(decl)
      ? this.constraints(decl, converted)
      : undefined;
    return {
      name,
      type: converted,
      optional,
      readonly: isReadonly(prop),
      ...(info.description ? { doc: info.description } : {}),
      ...(constraints ? { constraints } : {}),
    };
  }

  #tuple(
    type: Type,
    at: Node,
    next: (t: Type, where?: Node) => TypeNode,
  ): TypeNode {
    const target = (type.compilerType as ts.TypeReference).target as
      | ts.TupleType
      | undefined;
    const flags = target?.elementFlags ?? [];
    const elements: TupleElement[] = [];
    let rest: TypeNode | undefined;
    type.getTupleElements().forEach((el, i) => {
      const f = flags[i] ?? ts.ElementFlags.Required;
      if (rest) {
        this.#fail(at, {
          problem: "Tuple elements after a rest element are not supported",
          hint: "put the rest element last: `[string, ...number[]]`",
        });
      } else if (f & ts.ElementFlags.Variable) {
        rest = next(el, writtenPart(at, type, el));
      } else {
        const optional = (f & ts.ElementFlags.Optional) !== 0;
        const t = next(el, writtenPart(at, type, el));
        elements.push({ type: optional ? withoutUndefined(t) : t, optional });
      }
    });
    return {
      kind: "tuple",
      elements,
      ...(rest ? { rest } : {}),
      readonly: target?.readonly ?? false,
    };
  }

  /** A type of TypeScript's own library, by name; `undefined`: structural. */
  #library(
    name: string,
    type: Type,
    at: Node,
    next: (t: Type, where?: Node) => TypeNode,
  ): TypeNode | undefined {
    const args = type.getTypeArguments();
    switch (name) {
      case "Date":
        return { kind: "date" };
      case "Uint8Array":
        return { kind: "bytes" };
      case "Map":
      case "ReadonlyMap":
        return {
          kind: "map",
          key: args[0]
            ? next(args[0], writtenPart(at, type, args[0]))
            : PLACEHOLDER,
          value: args[1]
            ? next(args[1], writtenPart(at, type, args[1]))
            : PLACEHOLDER,
        };
      case "Set":
      case "ReadonlySet":
        return {
          kind: "set",
          element: args[0]
            ? next(args[0], writtenPart(at, type, args[0]))
            : PLACEHOLDER,
        };
      case "Array":
      case "ReadonlyArray":
        return undefined;
    }
    if (type.isTuple() || type.getSymbol()?.getName() === "__type") {
      return undefined;
    }
    if (name === "__object" || name === "__type") return undefined;
    return this.#fail(at, unsupportedLibType(name));
  }

  /**
   * The constraint tags of a declaration, checked against its type.
   *
   * @param decl a property, parameter or alias declaration
   * @param type its converted type
   * @returns the constraints, or `undefined` when there are none
   */
  constraints(decl: Node, type: TypeNode): Constraints | undefined {
    const report = (node: Node, message: { problem: string; hint: string }) =>
      this.#error(node, message);
    const found = readConstraints(decl, report);
    if (Object.keys(found).length === 0) return undefined;
    checkConstraints(decl, found, type, (t) => this.resolve(t), report);
    return found;
  }

  /** Follows references to the structure they name (as far as known). */
  resolve(node: TypeNode): TypeNode {
    let t = node;
    for (let hops = 0; t.kind === "ref" && hops < 32; hops++) {
      const next = this.#named.get(t.name)?.type?.type;
      if (!next) return t;
      t = next;
    }
    return t;
  }

  #builtin(decl: Node): boolean {
    return this.#ctx.isBuiltin(decl.getSourceFile());
  }

  #rel(file: SourceFile): string {
    return relativePath(this.#ctx.root, file.getFilePath());
  }

  #error(node: Node, message: { problem: string; hint: string }): void {
    this.#ctx.errors.push(errorAt(node, this.#ctx.root, message));
  }

  #fail(node: Node, message: { problem: string; hint: string }): TypeNode {
    this.#error(node, message);
    return PLACEHOLDER;
  }
}

const JSON_HINT =
  "write the actual type; for free-form JSON declare a recursive alias: " +
  "`type Json = string | number | boolean | null | Json[] | { [key: string]: Json }`";
const COMPLAINTS = {
  any: { problem: "`any` is not supported", hint: JSON_HINT },
  never: { problem: "`never` is not supported", hint: "remove it" },
  symbol: {
    problem: "Symbols are not supported: they cannot travel",
    hint: "use a string literal union",
  },
  object: {
    problem: "`object` is not supported: it says nothing about the properties",
    hint:
      "declare an interface with its properties, or use `Record<string, T>`",
  },
  function: {
    problem: "Function types are not supported: functions cannot travel",
    hint:
      "send data; to push values to a caller, declare a streaming method returning `AsyncIterable<T>`",
  },
  constructor: {
    problem: "Constructor types are not supported: they cannot travel",
    hint: "send data described by an interface",
  },
} as const;
