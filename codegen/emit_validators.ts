/**
 * Validator emitter: model types → TypeScript functions with the
 * `Validator` shape `(value, path, issues) => void`.
 *
 * Every named type gets an exported `validateX` function; references call
 * it, which is also how recursive types work. Anonymous types are checked
 * inline. Validators accept extra object properties (TypeScript's
 * structural typing does too) and report every problem they find.
 *
 * @module
 */

import type {
  FileModel,
  NamedType,
  ObjectNode,
  TypeNode,
  UnionNode,
} from "./model.ts";
import { docComment, isIdentifier, literal, printType } from "./_print.ts";

/** The validator header: parameters of every generated validator. */
export const VALIDATOR_PARAMS =
  "value: unknown, path: string, issues: ValidationIssue[]";

/** The name of the exported validator of a named type. */
export function validatorName(typeName: string): string {
  return `validate${typeName}`;
}

/** A path expression under construction: the inside of a template literal. */
type Path = string;
const ROOT: Path = "${path}";

function renderPath(p: Path): string {
  return p === ROOT ? "path" : `\`${p}\``;
}

/** `path: …` in an issue literal (shorthand at the root). */
function pathProperty(p: Path): string {
  return p === ROOT ? "path" : `path: \`${p}\``;
}

/** The failure condition of a simple test: `a !== b` rather than `!(a === b)`. */
function negate(test: string): string {
  const single = !test.includes(" || ") && / === /.test(test) &&
    test.split(" === ").length === 2;
  return single ? test.replace(" === ", " !== ") : `!(${test})`;
}

function escapeTemplate(s: string): string {
  return s.replace(/[`\\]|\$\{/g, (m) => `\\${m}`);
}

function propertyPath(p: Path, name: string): Path {
  return isIdentifier(name)
    ? `${p}.${name}`
    : `${p}[${escapeTemplate(JSON.stringify(name))}]`;
}

/**
 * Writes validator code for the types of one model. Remembers which private
 * helpers (`_isObject`, `_passes`) the code used, for {@linkcode helpers}.
 */
export class ValidatorWriter {
  readonly #types: ReadonlyMap<string, NamedType>;
  readonly #used = new Set<"isObject" | "passes">();
  #counter = 0;

  /** @param model the file model (its named types resolve references) */
  constructor(model: FileModel) {
    this.#types = new Map(model.types.map((t) => [t.name, t]));
  }

  /** Exported `validateX` functions for every named type of the model. */
  namedValidators(): string {
    return [...this.#types.values()].map((t) => {
      const doc =
        `Checks \`value\` against \`${t.name}\` (declared in ${t.file}), ` +
        "appending one ValidationIssue per problem to `issues`.";
      return `${docComment(doc)}export function ${
        validatorName(t.name)
      }(${VALIDATOR_PARAMS}): void {\n${
        this.check(t.type, "value", ROOT, t.name).join("\n")
      }\n}\n`;
    }).join("\n");
  }

  /**
   * A private validator function `name` for `node`.
   *
   * @param name the function name
   * @param node the type to check
   */
  privateValidator(name: string, node: TypeNode): string {
    if (node.kind === "void") {
      return `function ${name}(): void {\n// \`void\`: any result is accepted\n}\n`;
    }
    return `function ${name}(${VALIDATOR_PARAMS}): void {\n${
      this.check(node, "value", ROOT).join("\n")
    }\n}\n`;
  }

  /**
   * The body of an argument-array validator: arity first, then each
   * argument at `path[i]`; `undefined` is accepted for optional parameters.
   */
  argsBody(params: readonly { type: TypeNode; optional: boolean }[]): string {
    const total = params.length;
    const required = params.filter((p) => !p.optional).length;
    const expected = required === total
      ? `${total} argument${total === 1 ? "" : "s"}`
      : `${required} to ${total} arguments`;
    const lengthTest = required === total
      ? `value.length !== ${total}`
      : required === 0
      ? `value.length > ${total}`
      : `value.length < ${required} || value.length > ${total}`;
    const lines = [
      `if (!Array.isArray(value) || ${lengthTest}) {`,
      `issues.push({ path, expected: ${
        JSON.stringify(expected)
      }, received: describe(value) });`,
      "return;",
      "}",
    ];
    params.forEach((p, i) => {
      const checks = this.check(p.type, `value[${i}]`, `${ROOT}[${i}]`);
      lines.push(
        ...(p.optional
          ? [`if (value[${i}] !== undefined) {`, ...checks, "}"]
          : checks),
      );
    });
    return lines.join("\n");
  }

  /** The private helpers the written code uses. */
  helpers(): string {
    const out: string[] = [];
    if (this.#used.has("isObject")) out.push(IS_OBJECT);
    if (this.#used.has("passes")) out.push(PASSES);
    return out.join("\n");
  }

  /**
   * Statements that check `v` (an expression without side effects) against
   * `node`, reporting at path `p`; `label` replaces the expected text of
   * the outermost check (a named type's name).
   */
  check(node: TypeNode, v: string, p: Path, label?: string): string[] {
    const expected = label ?? expectedOf(node);
    const test = simpleTest(node, v);
    if (node.kind === "void") return [];
    if (test !== undefined) {
      return [`if (${negate(test)}) {`, this.#push(p, expected, v), "}"];
    }
    if (node.kind === "ref") {
      return [`${validatorName(node.name)}(${v}, ${renderPath(p)}, issues);`];
    }
    if (!isIdentifier(v)) {
      const bound = this.#fresh("v");
      return [
        `const ${bound}: unknown = ${v};`,
        ...this.check(node, bound, p, label),
      ];
    }
    switch (node.kind) {
      case "array": {
        const i = this.#fresh("i");
        return [
          `if (!Array.isArray(${v})) {`,
          this.#push(p, expected, v),
          "} else {",
          `for (let ${i} = 0; ${i} < ${v}.length; ${i}++) {`,
          ...this.check(node.element, `${v}[${i}]`, `${p}[\${${i}}]`),
          "}",
          "}",
        ];
      }
      case "tuple": {
        const min = node.elements.filter((e) => !e.optional).length;
        const max = node.elements.length;
        const length = min === max
          ? `${v}.length !== ${max}`
          : min === 0
          ? `${v}.length > ${max}`
          : `${v}.length < ${min} || ${v}.length > ${max}`;
        const lines = [
          `if (!Array.isArray(${v}) || ${length}) {`,
          this.#push(p, expected, v),
          "} else {",
        ];
        node.elements.forEach((e, i) => {
          const checks = this.check(e.type, `${v}[${i}]`, `${p}[${i}]`);
          lines.push(
            ...(e.optional
              ? [`if (${v}[${i}] !== undefined) {`, ...checks, "}"]
              : checks),
          );
        });
        return [...lines, "}"];
      }
      case "object":
        return this.#object(node, v, p, expected);
      case "map": {
        const [i, k, x] = [
          this.#fresh("i"),
          this.#fresh("k"),
          this.#fresh("v"),
        ];
        return [
          `if (!(${v} instanceof Map)) {`,
          this.#push(p, expected, v),
          "} else {",
          `for (const [${i}, [${k}, ${x}]] of [...${v}].entries()) {`,
          ...this.check(node.key, k, `${p}.keys[\${${i}}]`),
          ...this.check(node.value, x, `${p}.values[\${${i}}]`),
          "}",
          "}",
        ];
      }
      case "set": {
        const [i, x] = [this.#fresh("i"), this.#fresh("v")];
        return [
          `if (!(${v} instanceof Set)) {`,
          this.#push(p, expected, v),
          "} else {",
          `for (const [${i}, ${x}] of [...${v}].entries()) {`,
          ...this.check(node.element, x, `${p}.values[\${${i}}]`),
          "}",
          "}",
        ];
      }
      case "union":
        return this.#union(node, v, p, expected);
      default:
        throw new TypeError(`Cannot check type kind "${node.kind}"`);
    }
  }

  #object(node: ObjectNode, v: string, p: Path, expected: string): string[] {
    this.#used.add("isObject");
    return [
      `if (!_isObject(${v})) {`,
      this.#push(p, expected, v),
      "} else {",
      ...this.#properties(node, v, p),
      "}",
    ];
  }

  /** Checks of the properties of `v`, known to be an object (`skip`: a checked tag). */
  #properties(node: ObjectNode, v: string, p: Path, skip?: string): string[] {
    const lines: string[] = [];
    for (const prop of node.properties) {
      if (prop.name === skip) continue;
      const access = `${v}[${JSON.stringify(prop.name)}]`;
      const checks = this.check(prop.type, access, propertyPath(p, prop.name));
      lines.push(
        ...(prop.optional
          ? [`if (${access} !== undefined) {`, ...checks, "}"]
          : checks),
      );
    }
    if (node.index) {
      const [k, x] = [this.#fresh("k"), this.#fresh("v")];
      lines.push(`for (const [${k}, ${x}] of Object.entries(${v})) {`);
      if (node.properties.length > 0) {
        const known = node.properties.map((q) =>
          `${k} === ${JSON.stringify(q.name)}`
        );
        lines.push(`if (${known.join(" || ")}) continue;`);
      }
      lines.push(
        ...this.check(node.index, x, `${p}[\${JSON.stringify(${k})}]`),
        "}",
      );
    }
    return lines;
  }

  #union(node: UnionNode, v: string, p: Path, expected: string): string[] {
    const tests: string[] = [];
    const complex: TypeNode[] = [];
    for (const m of node.members) {
      const t = simpleTest(m, v);
      if (t === undefined) complex.push(m);
      else tests.push(t);
    }
    const guard = (body: string[]) =>
      tests.length ? [`if (!(${tests.join(" || ")})) {`, ...body, "}"] : body;
    if (complex.length === 1) return guard(this.check(complex[0], v, p));
    const tag = node.discriminant;
    if (tag && complex.every((m) => this.#resolve(m).kind === "object")) {
      this.#used.add("isObject");
      const access = `${v}[${JSON.stringify(tag)}]`;
      const lines = [`if (!_isObject(${v})) {`, this.#push(p, expected, v)];
      const all: string[] = [];
      for (const m of complex) {
        const values = tagValues(
          this.#resolve(m) as ObjectNode,
          tag,
          (t) => this.#resolve(t),
        );
        all.push(...values.map(literal));
        lines.push(
          `} else if (${
            values.map((x) => `${access} === ${literal(x)}`).join(" || ")
          }) {`,
          ...(m.kind === "object"
            ? this.#properties(m, v, p, tag)
            : this.check(m, v, p)),
        );
      }
      lines.push(
        "} else {",
        this.#push(propertyPath(p, tag), all.join(" | "), access),
        "}",
      );
      return guard(lines);
    }
    for (const m of complex) {
      if (m.kind === "ref") {
        tests.push(`_passes(${validatorName(m.name)}, ${v})`);
      } else {
        const body = this.check(m, "value", ROOT).join("\n");
        tests.push(`_passes((${VALIDATOR_PARAMS}) => {\n${body}\n}, ${v})`);
      }
    }
    this.#used.add("passes");
    return [`if (!(${tests.join(" || ")})) {`, this.#push(p, expected, v), "}"];
  }

  #resolve(node: TypeNode): TypeNode {
    let t = node;
    for (let hops = 0; t.kind === "ref" && hops < 32; hops++) {
      const next = this.#types.get(t.name)?.type;
      if (!next) break;
      t = next;
    }
    return t;
  }

  #push(p: Path, expected: string, v: string): string {
    return `issues.push({ ${pathProperty(p)}, expected: ${
      JSON.stringify(expected)
    }, received: describe(${v}) });`;
  }

  #fresh(prefix: string): string {
    return `${prefix}${++this.#counter}`;
  }
}

const IS_OBJECT =
  `/** Whether \`value\` is a plain object (not an array, a Date, a Map…). */
function _isObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
`;

const PASSES = `/** Whether \`validate\` finds no issue in \`value\`. */
function _passes(validate: Validator, value: unknown): boolean {
  const issues: ValidationIssue[] = [];
  validate(value, "", issues);
  return issues.length === 0;
}
`;

const TYPEOF = new Set(["string", "number", "boolean", "bigint"]);

/** A boolean expression testing `v` when the type needs no loop or call. */
function simpleTest(node: TypeNode, v: string): string | undefined {
  switch (node.kind) {
    case "null":
      return `${v} === null`;
    case "undefined":
      return `${v} === undefined`;
    case "void":
      return "true";
    case "date":
      return `${v} instanceof Date`;
    case "bytes":
      return `${v} instanceof Uint8Array`;
    case "literal":
      return `${v} === ${literal(node.value)}`;
    case "union": {
      const parts = node.members.map((m) => simpleTest(m, v));
      return parts.every((x) => x !== undefined)
        ? parts.join(" || ")
        : undefined;
    }
    default:
      return TYPEOF.has(node.kind)
        ? `typeof ${v} === "${node.kind}"`
        : undefined;
  }
}

/** What a check expects, as reported in `ValidationIssue.expected`. */
export function expectedOf(node: TypeNode): string {
  switch (node.kind) {
    case "object":
      return "object";
    case "map":
      return "Map";
    case "set":
      return "Set";
    case "literal":
      return literal(node.value);
    case "array": {
      const inner = expectedOf(node.element);
      return node.element.kind === "union" ? `(${inner})[]` : `${inner}[]`;
    }
    case "tuple":
      return `[${
        node.elements.map((e) => expectedOf(e.type) + (e.optional ? "?" : ""))
          .join(", ")
      }]`;
    case "union":
      return node.members.map(expectedOf).join(" | ");
    default:
      return printType(node);
  }
}

function tagValues(
  object: ObjectNode,
  tag: string,
  resolve: (t: TypeNode) => TypeNode,
): (string | number | boolean)[] {
  const prop = object.properties.find((q) => q.name === tag);
  const collect = (t: TypeNode): (string | number | boolean)[] => {
    const r = resolve(t);
    if (r.kind === "literal") return [r.value];
    if (r.kind === "union") return r.members.flatMap(collect);
    return [];
  };
  return prop ? collect(prop.type) : [];
}
