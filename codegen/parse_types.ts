/**
 * Turns TypeScript type syntax into model {@linkcode TypeNode}s, and
 * collects the named types (interfaces, aliases, enums) they reach.
 *
 * Works on syntax, with the type checker only to resolve names, so errors
 * point at what the user wrote. Anything zmp cannot validate at run time
 * becomes a located {@linkcode CodegenError} with a hint; conversion then
 * goes on (with a placeholder) so that one run reports every problem.
 *
 * @module
 */

import {
  type EnumDeclaration,
  type InterfaceDeclaration,
  Node,
  type SourceFile,
  SyntaxKind,
  type TypeAliasDeclaration,
  type TypeNode as TsTypeNode,
} from "ts-morph";
import { errorAt } from "./_locate.ts";
import { relativePath } from "./_paths.ts";
import type { CodegenError } from "./errors.ts";
import type {
  LiteralNode,
  NamedType,
  ObjectNode,
  Property,
  RefNode,
  TupleElement,
  TypeNode,
} from "./model.ts";
import { withDiscriminants } from "./_discriminant.ts";
import {
  type ConvertHooks,
  libraryType,
  literalType,
} from "./parse_builtins.ts";
import { jsDocOf } from "./_jsdoc.ts";
import { unsupportedKeyword } from "./_unsupported.ts";

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
  /** Whether a file is TypeScript's standard library (or a dependency's). */
  readonly isLibrary: (file: SourceFile) => boolean;
}

const PLACEHOLDER: TypeNode = { kind: "null" };

interface Entry {
  readonly decl: NamedDeclaration;
  type?: NamedType;
}

/** Converts type syntax of one definition file and what it reaches. */
export class TypeConverter {
  readonly #ctx: ConverterContext;
  readonly #named = new Map<string, Entry>();

  /** @param ctx root, error sink, library test */
  readonly #hooks: ConvertHooks = {
    convert: (node) => this.convert(node),
    fail: (node, complaint) => this.#fail(node, complaint),
  };

  constructor(ctx: ConverterContext) {
    this.#ctx = ctx;
  }

  /** The named types reached so far, discriminants found, sorted by name. */
  types(): NamedType[] {
    return [...this.#named.values()]
      .flatMap((e) => (e.type ? [e.type] : []))
      .map((t) => ({ ...t, type: this.finish(t.type) }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** The declaration of a named type reached so far. */
  declarationOf(name: string): NamedDeclaration | undefined {
    return this.#named.get(name)?.decl;
  }

  /** Fills in union discriminants below `node` (call after converting). */
  finish(node: TypeNode): TypeNode {
    return withDiscriminants(node, (t) => this.resolve(t));
  }

  /** Registers a declaration as a named type and returns a reference. */
  named(decl: NamedDeclaration): RefNode {
    const name = decl.getName();
    const ref: RefNode = { kind: "ref", name };
    const seen = this.#named.get(name);
    if (seen) {
      if (seen.decl.compilerNode !== decl.compilerNode) {
        const other = seen.decl.getNameNode();
        const where = `${
          this.#rel(other.getSourceFile())
        }:${other.getStartLineNumber()}`;
        this.#error(decl.getNameNode(), {
          problem:
            `Two types named \`${name}\` are reachable (the other one is at ${where})`,
          hint:
            `rename one of them: generated validators are named after types (\`validate${name}\`)`,
        });
      }
      return ref;
    }
    const entry: Entry = { decl };
    this.#named.set(name, entry);
    if (!decl.isExported()) {
      this.#error(decl.getNameNode(), {
        problem: `\`${name}\` is used by a definition but is not exported`,
        hint: `write \`export ${
          this.#keyword(decl)
        } ${name}\`: the generated file imports it`,
      });
    }
    if (!Node.isEnumDeclaration(decl) && decl.getTypeParameters().length > 0) {
      this.#error(decl.getTypeParameters()[0], {
        problem: `Generic type \`${name}\` is not supported`,
        hint:
          `declare a concrete type instead, e.g. \`interface ${name}OfNumber { … }\``,
      });
    }
    const doc = jsDocOf(decl).description;
    let type: TypeNode;
    if (Node.isEnumDeclaration(decl)) type = this.#enum(decl);
    else if (Node.isInterfaceDeclaration(decl)) {
      type = this.interfaceObject(decl);
    } else type = this.convert(decl.getTypeNodeOrThrow());
    entry.type = {
      name,
      declaration: Node.isEnumDeclaration(decl)
        ? "enum"
        : Node.isInterfaceDeclaration(decl)
        ? "interface"
        : "alias",
      file: this.#rel(decl.getSourceFile()),
      type,
      ...(doc ? { doc } : {}),
    };
    return ref;
  }

  /** An interface as an object type, properties of its bases first. */
  interfaceObject(decl: InterfaceDeclaration): ObjectNode {
    const props = new Map<string, Property>();
    let index: TypeNode | undefined;
    for (const base of decl.getExtends()) {
      const baseObject = this.#base(base);
      if (!baseObject) continue;
      for (const p of baseObject.properties) props.set(p.name, p);
      index = baseObject.index ?? index;
    }
    const own = this.#members(decl.getMembers());
    for (const p of own.properties) props.set(p.name, p);
    index = own.index ?? index;
    return {
      kind: "object",
      properties: [...props.values()],
      ...(index ? { index } : {}),
    };
  }

  /** Converts one type as written. */
  convert(node: TsTypeNode): TypeNode {
    const kind = node.getKind();
    switch (kind) {
      case SyntaxKind.StringKeyword:
        return { kind: "string" };
      case SyntaxKind.NumberKeyword:
        return { kind: "number" };
      case SyntaxKind.BooleanKeyword:
        return { kind: "boolean" };
      case SyntaxKind.BigIntKeyword:
        return { kind: "bigint" };
      case SyntaxKind.UndefinedKeyword:
        return { kind: "undefined" };
      case SyntaxKind.NullKeyword:
        return { kind: "null" };
    }
    if (Node.isParenthesizedTypeNode(node)) {
      return this.convert(node.getTypeNode());
    }
    if (Node.isLiteralTypeNode(node)) return literalType(node, this.#hooks);
    if (Node.isArrayTypeNode(node)) {
      return {
        kind: "array",
        element: this.convert(node.getElementTypeNode()),
        readonly: false,
      };
    }
    if (Node.isTypeOperatorTypeNode(node)) return this.#operator(node);
    if (Node.isTupleTypeNode(node)) {
      return this.#tuple(node.getElements(), false);
    }
    if (Node.isTypeLiteral(node)) return this.#members(node.getMembers());
    if (Node.isUnionTypeNode(node)) {
      const members = node.getTypeNodes().map((t) => this.convert(t))
        .flatMap((t) => (t.kind === "union" ? t.members : [t]));
      return { kind: "union", members };
    }
    if (Node.isTypeReference(node)) return this.#reference(node);
    return this.#fail(node, unsupportedKeyword(node));
  }

  #operator(
    node: Node & { getOperator(): SyntaxKind; getTypeNode(): TsTypeNode },
  ): TypeNode {
    const inner = node.getTypeNode();
    if (node.getOperator() === SyntaxKind.ReadonlyKeyword) {
      if (Node.isArrayTypeNode(inner)) {
        return {
          kind: "array",
          element: this.convert(inner.getElementTypeNode()),
          readonly: true,
        };
      }
      if (Node.isTupleTypeNode(inner)) {
        return this.#tuple(inner.getElements(), true);
      }
    }
    return this.#fail(node, {
      problem: `\`${node.getText()}\` is not supported`,
      hint:
        "write the resulting type explicitly (a literal union, an interface…)",
    });
  }

  #tuple(elements: TsTypeNode[], readonly: boolean): TypeNode {
    const out: TupleElement[] = [];
    for (const el of elements) {
      let type: TsTypeNode = el;
      let optional = false;
      if (Node.isNamedTupleMember(el)) {
        if (el.getDotDotDotToken()) {
          out.push({ type: this.#restError(el), optional: false });
          continue;
        }
        type = el.getTypeNode();
        optional = el.hasQuestionToken();
      }
      if (Node.isRestTypeNode(type)) {
        out.push({ type: this.#restError(type), optional: false });
        continue;
      }
      if (Node.isOptionalTypeNode(type)) {
        type = type.getTypeNode();
        optional = true;
      }
      out.push({ type: this.convert(type), optional });
    }
    return { kind: "tuple", elements: out, readonly };
  }

  #restError(node: Node): TypeNode {
    return this.#fail(node, {
      problem: "Rest elements in tuples are not supported",
      hint: "use an array (`T[]`), or a tuple of fixed length",
    });
  }

  #members(members: Node[]): ObjectNode {
    const properties: Property[] = [];
    let index: TypeNode | undefined;
    for (const m of members) {
      if (Node.isPropertySignature(m)) {
        const nameNode = m.getNameNode();
        if (Node.isComputedPropertyName(nameNode)) {
          this.#fail(nameNode, {
            problem: "Computed property names are not supported",
            hint: "write the property name literally",
          });
          continue;
        }
        const typeNode = m.getTypeNode();
        const type = typeNode ? this.convert(typeNode) : this.#fail(m, {
          problem: `Property \`${m.getName()}\` has no type`,
          hint: `annotate it: \`${m.getName()}: string;\``,
        });
        const doc = jsDocOf(m).description;
        properties.push({
          name: Node.isStringLiteral(nameNode)
            ? nameNode.getLiteralValue()
            : nameNode.getText(),
          type,
          optional: m.hasQuestionToken(),
          readonly: m.isReadonly(),
          ...(doc ? { doc } : {}),
        });
      } else if (Node.isIndexSignatureDeclaration(m)) {
        const key = m.getKeyTypeNode();
        if (key.getKind() !== SyntaxKind.StringKeyword) {
          this.#fail(key, {
            problem:
              `Index signatures keyed by \`${key.getText()}\` are not supported`,
            hint: "key index signatures by `string`, or use a `Map`",
          });
        }
        const ret = m.getReturnTypeNode();
        index = ret ? this.convert(ret) : PLACEHOLDER;
      } else if (Node.isMethodSignature(m)) {
        this.#fail(m, {
          problem:
            `Method \`${m.getName()}\` in a message type is not supported: functions cannot travel`,
          hint:
            "remove it, or declare an RPC with `/** @service */` on an interface of its own",
        });
      } else {
        this.#fail(m, {
          problem:
            "Call and construct signatures are not supported in message types",
          hint: "describe data only: properties with supported types",
        });
      }
    }
    return { kind: "object", properties, ...(index ? { index } : {}) };
  }

  #reference(
    node: Node & { getTypeName(): Node; getTypeArguments(): TsTypeNode[] },
  ): TypeNode {
    const nameNode = node.getTypeName();
    const ident = Node.isQualifiedName(nameNode)
      ? nameNode.getRight()
      : nameNode;
    let symbol = ident.getSymbol();
    if (symbol?.isAlias()) symbol = symbol.getAliasedSymbol();
    const decl = symbol?.getDeclarations()[0];
    const name = nameNode.getText();
    if (!decl) {
      return this.#fail(node, {
        problem: `Cannot resolve type \`${name}\``,
        hint:
          'import it from the file that declares it (`import type { … } from "./x.ts"`)',
      });
    }
    const args = node.getTypeArguments();
    if (this.#ctx.isLibrary(decl.getSourceFile())) {
      return libraryType(node, symbol!.getName(), args, this.#hooks);
    }
    if (Node.isTypeParameterDeclaration(decl)) {
      return this.#fail(node, {
        problem: `Type parameter \`${name}\` is not supported`,
        hint: "use a concrete type: generated validators must know every type",
      });
    }
    if (Node.isEnumMember(decl)) {
      const value = decl.getValue();
      const enumName = decl.getParent().getName();
      this.named(decl.getParent());
      return {
        kind: "literal",
        value: value ?? 0,
        enumMember: { enum: enumName, member: decl.getName() },
      } satisfies LiteralNode;
    }
    if (
      Node.isInterfaceDeclaration(decl) || Node.isTypeAliasDeclaration(decl) ||
      Node.isEnumDeclaration(decl)
    ) {
      if (args.length > 0) {
        return this.#fail(node, {
          problem: `Generic type \`${node.getText()}\` is not supported`,
          hint: `declare a concrete interface instead of \`${name}<…>\``,
        });
      }
      return this.named(decl);
    }
    if (Node.isClassDeclaration(decl)) {
      return this.#fail(node, {
        problem:
          `Class \`${name}\` is not supported: class instances do not survive the wire`,
        hint: `declare an interface with the data fields of \`${name}\``,
      });
    }
    return this.#fail(node, {
      problem: `\`${name}\` is not a type zmp can describe`,
      hint: "use an interface, a type alias or an enum",
    });
  }

  #base(
    base: Node & { getExpression(): Node; getTypeArguments(): TsTypeNode[] },
  ): ObjectNode | undefined {
    let symbol = base.getExpression().getSymbol();
    if (symbol?.isAlias()) symbol = symbol.getAliasedSymbol();
    const decl = symbol?.getDeclarations()[0];
    if (
      base.getTypeArguments().length === 0 && decl &&
      !this.#ctx.isLibrary(decl.getSourceFile())
    ) {
      if (
        Node.isInterfaceDeclaration(decl) &&
        decl.getTypeParameters().length === 0
      ) {
        return this.interfaceObject(decl);
      }
      if (
        Node.isTypeAliasDeclaration(decl) &&
        decl.getTypeParameters().length === 0
      ) {
        const t = this.convert(decl.getTypeNodeOrThrow());
        const resolved = this.resolve(t);
        if (resolved.kind === "object") return resolved;
      }
    }
    this.#fail(base, {
      problem: `\`extends ${base.getText()}\` is not supported`,
      hint:
        "extend only non-generic interfaces (or aliases of object types) that you declare",
    });
    return undefined;
  }

  #enum(decl: EnumDeclaration): TypeNode {
    const enumName = decl.getName();
    const members: TypeNode[] = decl.getMembers().map((m) => {
      const value = m.getValue();
      if (value === undefined) {
        return this.#fail(m, {
          problem:
            `Enum member \`${enumName}.${m.getName()}\` has no constant value`,
          hint: "give enum members constant string or number values",
        });
      }
      return {
        kind: "literal",
        value,
        enumMember: { enum: enumName, member: m.getName() },
      };
    });
    return members.length === 1 ? members[0] : { kind: "union", members };
  }

  /** Follows references to the structural node they name. */
  resolve(node: TypeNode): TypeNode {
    let t = node;
    for (let hops = 0; t.kind === "ref" && hops < 32; hops++) {
      const next = this.#named.get(t.name)?.type?.type;
      if (!next) return t;
      t = next;
    }
    return t;
  }

  #keyword(decl: NamedDeclaration): string {
    return Node.isEnumDeclaration(decl)
      ? "enum"
      : Node.isInterfaceDeclaration(decl)
      ? "interface"
      : "type";
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
