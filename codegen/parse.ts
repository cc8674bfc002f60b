/**
 * Parse stage: reads definition files with ts-morph and builds one
 * {@linkcode FileModel} per file, plus every {@linkcode CodegenError} found.
 *
 * What is read: `@service` interfaces (methods become RPCs), `@topic`
 * types, `@params` interfaces, and every other exported interface, type
 * alias or enum of the file (each gets a validator).
 *
 * @module
 */

import {
  type InterfaceDeclaration,
  type MethodSignature,
  Node,
  Project,
  type SourceFile,
  SyntaxKind,
  ts,
} from "ts-morph";
import { errorAt } from "./_locate.ts";
import { type DocInfo, jsDocOf, tagOf } from "./_jsdoc.ts";
import { relativePath } from "./_paths.ts";
import type { CodegenError } from "./errors.ts";
import type {
  Codec,
  FileModel,
  Method,
  Param,
  ParamsGroup,
  Property,
  Service,
  Topic,
  TypeNode,
} from "./model.ts";
import {
  type ConverterContext,
  type NamedDeclaration,
  TypeConverter,
} from "./parse_types.ts";
import { generatedNames } from "./_names.ts";
import { isValidName, NAME_RULES } from "../src/wire/names.ts";

/** The model of one definition file, and the errors found while reading it. */
export interface ParsedFile {
  /** The absolute path of the definition file. */
  readonly path: string;
  readonly model: FileModel;
  /** Empty when the model is complete and correct. */
  readonly errors: readonly CodegenError[];
}

/**
 * Parses definition files.
 *
 * @param files absolute paths of `*.api.ts` files
 * @param root the project root; paths in models and errors are relative to it
 * @returns one entry per file, in the order given
 */
export function parseDefinitions(
  files: readonly string[],
  root: string,
): ParsedFile[] {
  const project = new Project({
    compilerOptions: {
      strict: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      allowImportingTsExtensions: true,
      noEmit: true,
      lib: ["lib.esnext.d.ts"],
    },
    skipAddingFilesFromTsConfig: true,
  });
  const sources = files.map((f) => project.addSourceFileAtPath(f));
  project.resolveSourceFileDependencies();
  const program = project.getProgram().compilerObject;
  const isBuiltin = (sf: SourceFile) =>
    program.isSourceFileDefaultLibrary(sf.compilerNode);
  return sources.map((sf) => {
    const errors: CodegenError[] = [];
    const model = new FileParser(sf, root, errors, {
      isBuiltin,
      checker: program.getTypeChecker(),
    }).parse();
    return { path: sf.getFilePath(), model, errors };
  });
}

const CODECS: readonly Codec[] = ["msgpack", "superjson"];
const KINDS = ["service", "topic", "params"] as const;

class FileParser {
  readonly #sf: SourceFile;
  readonly #root: string;
  readonly #errors: CodegenError[];
  readonly #types: TypeConverter;

  constructor(
    sf: SourceFile,
    root: string,
    errors: CodegenError[],
    checking: Pick<ConverterContext, "isBuiltin" | "checker">,
  ) {
    this.#sf = sf;
    this.#root = root;
    this.#errors = errors;
    this.#types = new TypeConverter({ root, errors, ...checking });
  }

  parse(): FileModel {
    const services: Service[] = [];
    const topics: Topic[] = [];
    const params: ParamsGroup[] = [];
    const serviceDecls = new Map<string, Node>();
    for (const decl of this.#declarations()) {
      const doc = jsDocOf(decl);
      const kinds = KINDS.filter((k) => tagOf(doc, k));
      if (kinds.length > 1) {
        this.#error(tagOf(doc, kinds[1])!.node, {
          problem: `\`${decl.getName()}\` has both @${kinds[0]} and @${
            kinds[1]
          }`,
          hint:
            "declare one type per role: a service, a topic message or a params group",
        });
        continue;
      }
      if (kinds[0] === "service") {
        const s = this.#service(decl, doc);
        if (s) services.push(s);
        if (s) serviceDecls.set(s.typeName, decl.getNameNode());
      } else if (kinds[0] === "topic") {
        const t = this.#topic(decl, doc);
        if (t) topics.push(t);
        if (t) serviceDecls.set(t.typeName, decl.getNameNode());
      } else if (kinds[0] === "params") {
        const p = this.#params(decl, doc);
        if (p) params.push(p);
        if (p) serviceDecls.set(p.typeName, decl.getNameNode());
      } else if (decl.isExported()) {
        this.#types.declared(decl);
      }
    }
    const runtime = this.#runtime();
    const model: FileModel = {
      source: relativePath(this.#root, this.#sf.getFilePath()),
      ...(runtime ? { runtime } : {}),
      services,
      topics,
      params,
      types: this.#types.types(),
    };
    this.#checkNames(model, serviceDecls);
    return model;
  }

  /** Reports tagged names that the generated module would also declare. */
  #checkNames(model: FileModel, tagged: Map<string, Node>): void {
    const generated = generatedNames(model);
    for (const [name, node] of tagged) {
      const what = generated.get(name);
      if (!what) continue;
      this.#error(node, {
        problem:
          `The name \`${name}\` clashes with ${what} in the generated file`,
        hint: `rename \`${name}\``,
      });
    }
  }

  /** `@zmpRuntime x` of the file's module doc (the block with `@module`). */
  #runtime(): string | undefined {
    const text = this.#sf.getFullText();
    for (const block of text.matchAll(/\/\*\*[\s\S]*?\*\//g)) {
      if (!/@module\b/.test(block[0])) continue;
      return /@zmpRuntime\s+(\S+)/.exec(block[0])?.[1];
    }
    return undefined;
  }

  #declarations(): NamedDeclaration[] {
    return this.#sf.getStatements().filter((s): s is NamedDeclaration =>
      Node.isInterfaceDeclaration(s) || Node.isTypeAliasDeclaration(s) ||
      Node.isEnumDeclaration(s)
    );
  }

  #service(decl: NamedDeclaration, doc: DocInfo): Service | undefined {
    const tag = tagOf(doc, "service")!;
    if (!Node.isInterfaceDeclaration(decl)) {
      this.#error(decl.getNameNode(), {
        problem:
          `@service must tag an interface; \`${decl.getName()}\` is not one`,
        hint:
          `write \`export interface ${decl.getName()} { method(a: number): Promise<number>; }\``,
      });
      return undefined;
    }
    const name = decl.getName();
    if (!this.#exported(decl) || !this.#plain(decl)) return undefined;
    const wireName = tag.text || name;
    if (!isValidName("service", wireName)) {
      this.#error(tag.node, {
        problem: `Service name \`${wireName}\` is not valid`,
        hint: `${NAME_RULES.service.text}: \`@service calc.Calculator\``,
      });
    }
    const methods: Method[] = [];
    const seen = new Set<string>();
    for (const member of decl.getMembers()) {
      if (!Node.isMethodSignature(member)) {
        this.#error(member, {
          problem: `Only methods are allowed in @service \`${name}\``,
          hint:
            "write each RPC as a method: `add(a: number, b: number): Promise<number>;`",
        });
        continue;
      }
      if (seen.has(member.getName())) {
        this.#error(member, {
          problem: `Method \`${member.getName()}\` is overloaded`,
          hint:
            "give each RPC its own name (use optional parameters or a union type instead)",
        });
        continue;
      }
      seen.add(member.getName());
      const m = this.#method(member);
      if (m) methods.push(m);
    }
    if (decl.getMembers().length === 0) {
      this.#error(decl.getNameNode(), {
        problem: `Service \`${name}\` has no methods`,
        hint: "declare at least one method: `ping(): Promise<string>;`",
      });
    }
    return {
      typeName: name,
      wireName,
      codec: this.#codec(doc),
      methods,
      ...(doc.description ? { doc: doc.description } : {}),
    };
  }

  #method(m: MethodSignature): Method | undefined {
    const name = m.getName();
    if (
      m.getNameNode().getKind() !== SyntaxKind.Identifier ||
      name === "constructor"
    ) {
      this.#error(m.getNameNode(), {
        problem: `Method name \`${name}\` is not supported`,
        hint: "name methods with plain identifiers (and not `constructor`)",
      });
      return undefined;
    }
    if (!isValidName("method", name)) {
      this.#error(m.getNameNode(), {
        problem: `Method name \`${name}\` is not valid`,
        hint: NAME_RULES.method.text,
      });
      return undefined;
    }
    if (m.hasQuestionToken()) {
      this.#error(m, {
        problem: `Method \`${name}\` is optional`,
        hint: "remove the `?`: every method of a service is served",
      });
    }
    if (m.getTypeParameters().length > 0) {
      this.#error(m.getTypeParameters()[0], {
        problem: `Generic method \`${name}\` is not supported`,
        hint: "use concrete types: generated validators must know every type",
      });
    }
    const params: Param[] = [];
    for (const p of m.getParameters()) {
      const nameNode = p.getNameNode();
      const typeNode = p.getTypeNode();
      if (p.isRestParameter()) {
        this.#error(p, {
          problem: `Rest parameter \`${p.getText()}\` is not supported`,
          hint: `take an array instead: \`${p.getName()}: T[]\``,
        });
      } else if (!Node.isIdentifier(nameNode)) {
        this.#error(nameNode, {
          problem: "Destructured parameters are not supported",
          hint:
            "name the parameter and type it with an interface: `request: AddRequest`",
        });
      } else if (!typeNode) {
        this.#error(p, {
          problem: `Parameter \`${p.getName()}\` has no type`,
          hint: `annotate it: \`${p.getName()}: number\``,
        });
      } else {
        const type = this.#types.convert(typeNode.getType(), typeNode);
        const constraints = this.#types.constraints(p, type);
        params.push({
          name: p.getName(),
          type,
          optional: p.hasQuestionToken(),
          ...(constraints ? { constraints } : {}),
        });
      }
    }
    const returns = this.#returns(m);
    if (!returns) return undefined;
    const doc = jsDocOf(m);
    return {
      name,
      kind: returns.kind,
      idempotent: tagOf(doc, "idempotent") !== undefined,
      params,
      result: returns.result,
      ...(doc.description ? { doc: doc.description } : {}),
    };
  }

  #returns(
    m: MethodSignature,
  ): { kind: Method["kind"]; result: TypeNode } | undefined {
    const node = m.getReturnTypeNode();
    const hint =
      `return \`Promise<T>\` (one result) or \`AsyncIterable<T>\` (a stream): ` +
      `\`${m.getName()}(…): Promise<number>;\``;
    if (!node || !Node.isTypeReference(node)) {
      this.#error(node ?? m, {
        problem:
          `Method \`${m.getName()}\` must return a Promise or an AsyncIterable`,
        hint,
      });
      return undefined;
    }
    const wrapper = node.getTypeName().getText();
    const kind = wrapper === "Promise"
      ? "unary"
      : ["AsyncIterable", "AsyncIterableIterator", "AsyncGenerator"].includes(
          wrapper,
        )
      ? "stream"
      : undefined;
    const arg = node.getTypeArguments()[0];
    if (!kind || !arg) {
      this.#error(node, {
        problem:
          `Method \`${m.getName()}\` must return a Promise or an AsyncIterable, not \`${node.getText()}\``,
        hint,
      });
      return undefined;
    }
    if (arg.getKind() === SyntaxKind.VoidKeyword && kind === "unary") {
      return { kind, result: { kind: "void" } };
    }
    return { kind, result: this.#types.convert(arg.getType(), arg) };
  }

  #topic(decl: NamedDeclaration, doc: DocInfo): Topic | undefined {
    const tag = tagOf(doc, "topic")!;
    if (!isValidName("topic", tag.text)) {
      this.#error(tag.node, {
        problem: tag.text
          ? `Topic name \`${tag.text}\` is not valid`
          : "@topic needs a name",
        hint: `${NAME_RULES.topic.text}: \`@topic sensors/temperature\``,
      });
      if (decl.isExported()) this.#types.declared(decl);
      return undefined;
    }
    if (!this.#exported(decl) || !this.#concrete(decl)) return undefined;
    this.#types.declared(decl);
    return {
      typeName: decl.getName(),
      topic: tag.text,
      codec: this.#codec(doc),
      ...(doc.description ? { doc: doc.description } : {}),
    };
  }

  #params(decl: NamedDeclaration, doc: DocInfo): ParamsGroup | undefined {
    const tag = tagOf(doc, "params")!;
    if (!Node.isInterfaceDeclaration(decl)) {
      this.#error(decl.getNameNode(), {
        problem:
          `@params must tag an interface; \`${decl.getName()}\` is not one`,
        hint: `write \`export interface ${decl.getName()} { speed: number; }\``,
      });
      return undefined;
    }
    if (!isValidName("paramNamespace", tag.text)) {
      this.#error(tag.node, {
        problem: tag.text
          ? `Params namespace \`${tag.text}\` is not valid`
          : "@params needs a namespace",
        hint: `${NAME_RULES.paramNamespace.text}: \`@params robot\``,
      });
      if (decl.isExported()) this.#types.declared(decl);
      return undefined;
    }
    if (!this.#exported(decl) || !this.#concrete(decl)) return undefined;
    this.#types.declared(decl);
    const object = this.#types.resolve({ kind: "ref", name: decl.getName() });
    if (object.kind === "object" && object.index) {
      this.#error(decl.getNameNode(), {
        problem: `Params group \`${decl.getName()}\` has an index signature`,
        hint:
          "params keys must be named properties; put free-form data in one property",
      });
    }
    const keys: readonly Property[] = object.kind === "object"
      ? object.properties
      : [];
    return {
      typeName: decl.getName(),
      namespace: tag.text,
      keys,
      ...(doc.description ? { doc: doc.description } : {}),
    };
  }

  #codec(doc: DocInfo): Codec {
    const tag = tagOf(doc, "codec");
    if (!tag) return "msgpack";
    if ((CODECS as readonly string[]).includes(tag.text)) {
      return tag.text as Codec;
    }
    this.#error(tag.node, {
      problem: `Unknown codec \`${tag.text}\``,
      hint: `write \`@codec msgpack\` (the default) or \`@codec superjson\``,
    });
    return "msgpack";
  }

  #exported(decl: NamedDeclaration): boolean {
    if (decl.isExported()) return true;
    this.#error(decl.getNameNode(), {
      problem: `\`${decl.getName()}\` is tagged but not exported`,
      hint: `write \`export\` before it: the generated file imports it`,
    });
    return false;
  }

  #concrete(decl: NamedDeclaration): boolean {
    if (Node.isEnumDeclaration(decl) || decl.getTypeParameters().length === 0) {
      return true;
    }
    this.#error(decl.getTypeParameters()[0], {
      problem:
        `Generic \`${decl.getName()}\` cannot be a topic or params group`,
      hint:
        `declare a concrete type: \`export type ${decl.getName()}OfX = ${decl.getName()}<X>\``,
    });
    return false;
  }

  #plain(decl: InterfaceDeclaration): boolean {
    if (decl.getTypeParameters().length > 0) {
      this.#error(decl.getTypeParameters()[0], {
        problem: `Generic service \`${decl.getName()}\` is not supported`,
        hint: "use concrete types in services",
      });
      return false;
    }
    if (decl.getExtends().length > 0) {
      this.#error(decl.getExtends()[0], {
        problem: `Service \`${decl.getName()}\` extends another interface`,
        hint: "declare every method in the @service interface itself",
      });
      return false;
    }
    return true;
  }

  #error(node: Node, message: { problem: string; hint: string }): void {
    this.#errors.push(errorAt(node, this.#root, message));
  }
}
