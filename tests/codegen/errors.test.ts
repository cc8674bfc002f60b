/**
 * Unsupported constructs: each gives a CodegenError naming file, line and
 * column, quoting the line and saying what to write instead; a run reports
 * every error, and the CLI exits 1.
 *
 * @module
 */

import { CodegenError, parseDefinitions, runCli } from "../../codegen/mod.ts";
import { assert, assertEquals, assertStringIncludes } from "../_assert.ts";
import { capture, tempProject } from "./_helpers.ts";

interface Case {
  /** What the case is about (the test name). */
  name: string;
  /** The definition file. */
  source: string;
  /** The text the error points at: its first occurrence in `source`. */
  at: string;
  /** Part of the expected problem text. */
  problem: string;
  /** Part of the expected hint. */
  hint: string;
  /** Set when the error points into `other.ts` rather than the case file. */
  inOther?: boolean;
}

const svc = (method: string, extra = "") =>
  `${extra}/** @service */\nexport interface S {\n  ${method}\n}\n`;

const CASES: Case[] = [
  {
    name: "any in a parameter",
    source: svc("f(a: any): Promise<number>;"),
    at: "any",
    problem: "`any` is not supported",
    hint: "type Json =",
  },
  {
    name: "function type",
    source: "export interface M {\n  onDone: (x: number) => void;\n}\n",
    at: "(x: number) => void",
    problem: "Function types are not supported",
    hint: "AsyncIterable<T>",
  },
  {
    name: "class with methods",
    source:
      "export class Point {\n  x = 0;\n  move() {}\n}\nexport interface M {\n  p: Point;\n}\n",
    at: "move() {}",
    problem: "Method `move` in a data type is not supported",
    hint: "a class with methods is not data",
  },
  {
    name: "unresolved type parameter",
    source: svc("f<T>(a: T): Promise<T>;"),
    at: "T>(",
    problem: "Generic method `f` is not supported",
    hint: "concrete types",
  },
  {
    name: "template literal with a placeholder zmp cannot check",
    source: "export interface M {\n  id: `a${Uppercase<string>}`;\n}\n",
    at: "`a${Uppercase<string>}`",
    problem: "has a placeholder zmp cannot check",
    hint: "${number}",
  },
  {
    name: "intersection with a primitive",
    source: "export interface M {\n  id: string & { brand: 1 };\n}\n",
    at: "string & { brand: 1 }",
    problem: "mixes `string` with an object type",
    hint: "intersect object types only",
  },
  {
    name: "symbol",
    source: "export interface M {\n  s: symbol;\n}\n",
    at: "symbol",
    problem: "Symbols are not supported",
    hint: "string literal union",
  },
  {
    name: "Promise in a parameter",
    source: svc("f(a: Promise<number>): Promise<number>;"),
    at: "Promise<number>)",
    problem: "`Promise` is only allowed as a method's return type",
    hint: "instead of `Promise<T>`",
  },
  {
    name: "rest parameter",
    source: svc("f(...xs: number[]): Promise<number>;"),
    at: "...xs",
    problem: "Rest parameter",
    hint: "take an array",
  },
  {
    name: "destructured parameter",
    source: svc("f({ a }: { a: number }): Promise<number>;"),
    at: "{ a }",
    problem: "Destructured parameters",
    hint: "name the parameter",
  },
  {
    name: "result that is not a Promise",
    source: svc("f(a: number): number;"),
    at: "number;",
    problem: "must return a Promise or an AsyncIterable",
    hint: "AsyncIterable<T>",
  },
  {
    name: "property in a service",
    source: svc("f: number;"),
    at: "f: number;",
    problem: "Only methods are allowed",
    hint: "write each RPC as a method",
  },
  {
    name: "overloaded method",
    source: svc(
      "f(a: number): Promise<number>;\n  f(a: string): Promise<number>;",
    ),
    at: "f(a: string)",
    problem: "overloaded",
    hint: "its own name",
  },
  {
    name: "service without methods",
    source: "/** @service */\nexport interface Idle {}\n",
    at: "Idle",
    problem: "has no methods",
    hint: "at least one method",
  },
  {
    name: "service on a type alias",
    source: "/** @service */\nexport type S = { f(): Promise<number> };\n",
    at: "S =",
    problem: "@service must tag an interface",
    hint: "export interface S",
  },
  {
    name: "unknown codec",
    source: svc("f(): Promise<number>;", "").replace(
      "@service",
      "@service\n * @codec json",
    ),
    at: "@codec json",
    problem: "Unknown codec `json`",
    hint: "@codec superjson",
  },
  {
    name: "topic without a name",
    source: "/** @topic */\nexport interface M { x: number }\n",
    at: "@topic",
    problem: "@topic needs a name",
    hint: "@topic sensors/temperature",
  },
  {
    name: "service name too long for the 255-byte method frame",
    source: svc("f(): Promise<number>;", "").replace(
      "@service",
      `@service ${"S".repeat(129)}`,
    ),
    at: `@service ${"S".repeat(129)}`,
    problem: "is not valid",
    hint: "a service name is 1 to 128 characters",
  },
  {
    name: "method name outside the method rule",
    source: svc("café(): Promise<number>;", ""),
    at: "café()",
    problem: "Method name `café` is not valid",
    hint: "a method name is 1 to 126 characters of A-Z a-z 0-9 _ $",
  },
  {
    name: "topic name starting with a slash",
    source: "/** @topic /abs */\nexport interface M { x: number }\n",
    at: "@topic /abs",
    problem: "Topic name `/abs` is not valid",
    hint: "a topic name is 1 to 255 characters",
  },
  {
    name: "params on a type alias",
    source: "/** @params robot */\nexport type P = { x: number };\n",
    at: "P =",
    problem: "@params must tag an interface",
    hint: "export interface P",
  },
  {
    name: "Record keyed by number",
    source: "export interface M {\n  r: Record<number, string>;\n}\n",
    at: "Record<number, string>",
    problem: "Index signatures keyed by `number`",
    hint: "use a `Map`",
  },
  {
    name: "index signature keyed by number",
    source: "export interface M {\n  [i: number]: string;\n}\n",
    at: "M {",
    problem: "Index signatures keyed by `number`",
    hint: "use a `Map`",
  },
  {
    name: "method in a message type",
    source: "export interface M {\n  run(): void;\n}\n",
    at: "run(): void;",
    problem: "functions cannot travel",
    hint: "@service",
  },
  {
    name: "unresolvable name",
    source: "export interface M {\n  m: Missing;\n}\n",
    at: "Missing",
    problem: "Cannot resolve type `Missing`",
    hint: "import it",
  },
  {
    name: "void outside a result",
    source: svc("f(a: void): Promise<void>;"),
    at: "void)",
    problem: "`void` is only allowed as a method result",
    hint: "`undefined`",
  },
  {
    name: "object keyword",
    source: "export interface M {\n  o: object;\n}\n",
    at: "object",
    problem: "`object` is not supported",
    hint: "Record<string, T>",
  },
  {
    name: "bigint literal",
    source: "export interface M {\n  n: 10n;\n}\n",
    at: "10n",
    problem: "BigInt literal type `10n`",
    hint: "`bigint`",
  },
  {
    name: "boxed primitive",
    source: "export interface M {\n  s: String;\n}\n",
    at: "String",
    problem: "Boxed type `String`",
    hint: "`string`",
  },
  {
    name: "other binary type",
    source: "export interface M {\n  b: ArrayBuffer;\n}\n",
    at: "ArrayBuffer",
    problem: "`ArrayBuffer` is not supported",
    hint: "Uint8Array",
  },
  {
    name: "service extending an interface",
    source: "export interface Base { f(): Promise<number> }\n" +
      "/** @service */\nexport interface S extends Base {\n  g(): Promise<number>;\n}\n",
    at: "Base {\n  g",
    problem: "extends another interface",
    hint: "declare every method",
  },
  {
    name: "generated name clash",
    source: svc("f(): Promise<number>;") +
      "/** @topic t */\nexport interface SClient { x: number }\n",
    at: "SClient",
    problem: "clashes with service S",
    hint: "rename `SClient`",
  },
  {
    name: "two reachable types with one name",
    source: 'import type { Point as P2 } from "./other.ts";\n' +
      "export interface Point { x: number }\nexport interface M {\n  a: Point;\n  b: P2;\n}\n",
    at: "Point {",
    problem: "Two types named `Point` are reachable (the other one is at case",
    hint: "rename one",
    inOther: true,
  },
];

/** Line and column (1-based) of the first occurrence of `at`. */
function position(
  source: string,
  at: string,
): { line: number; column: number; text: string } {
  const index = source.indexOf(at);
  if (index < 0) throw new RangeError(`"${at}" is not in the source`);
  const before = source.slice(0, index).split("\n");
  const line = before.length;
  return {
    line,
    column: before[line - 1].length + 1,
    text: source.split("\n")[line - 1],
  };
}

Deno.test("parseDefinitions() reports each unsupported construct as a located CodegenError", async (t) => {
  const other = "export interface Point { y: string }\n";
  const files: Record<string, string> = { "other.ts": other };
  CASES.forEach((c, i) => (files[`case${i}.api.ts`] = c.source));
  await using project = await tempProject(files);
  const parsed = parseDefinitions(
    CASES.map((_, i) => `${project.root}/case${i}.api.ts`),
    project.root,
  );
  for (const [i, c] of CASES.entries()) {
    await t.step(c.name, () => {
      const errors = parsed[i].errors;
      const e = errors.find((x) => x.problem.includes(c.problem));
      assert(
        e,
        `no error about "${c.problem}"; got:\n${
          errors.map((x) => x.message).join("\n")
        }`,
      );
      assert(e instanceof CodegenError);
      assertEquals(e.name, "CodegenError");
      const { line, column, text } = position(
        c.inOther ? other : c.source,
        c.at,
      );
      const file = c.inOther ? "other.ts" : `case${i}.api.ts`;
      assertEquals([e.file, e.line, e.column], [file, line, column], e.message);
      assertEquals(e.sourceLine, text);
      assertStringIncludes(e.hint, c.hint);
      assertStringIncludes(e.message, `${file}:${line}:${column}: `);
      assertStringIncludes(e.message, `  ${line} | ${text}\n`);
      assertStringIncludes(e.message, `\n  hint: ${e.hint}`);
    });
  }
});

const MANY_ERRORS = `/** @service */
export interface S {
  f(a: any): Promise<number>;
  g(b: symbol): Promise<number>;
}
export interface M {
  h: () => void;
}
`;

Deno.test("parseDefinitions() reports every error of a file, not just the first", async () => {
  await using project = await tempProject({ "many.api.ts": MANY_ERRORS });
  const [parsed] = parseDefinitions(
    [`${project.root}/many.api.ts`],
    project.root,
  );
  assertEquals(
    parsed.errors.map((e) => [e.line, e.column]),
    [[3, 8], [4, 8], [7, 6]],
  );
});

Deno.test("runCli() prints one block per error, writes nothing for the file, exits 1", async () => {
  await using project = await tempProject({
    "many.api.ts": MANY_ERRORS,
    "good.api.ts": "export interface Ok { x: number }\n",
  });
  const out = capture();
  const err = capture();
  const code = await runCli([], {
    cwd: project.root,
    log: out.print,
    error: err.print,
  });
  assertEquals(code, 1);
  const blocks = err.lines.filter((l) => /^many\.api\.ts:\d+:\d+: /.test(l));
  assertEquals(blocks.length, 3, err.text());
  assertStringIncludes(
    err.text(),
    "many.api.ts:3:8: `any` is not supported\n  3 |   f(a: any)",
  );
  assertStringIncludes(err.text(), "3 error(s); not generated: many.api.ts");
  assertEquals(await project.read("many.api.gen.ts"), undefined);
  assert(
    (await project.read("good.api.gen.ts")) !== undefined,
    "good file still generated",
  );
});

Deno.test("CodegenError message underlines the construct and ends with the hint", () => {
  const e = new CodegenError({
    file: "a.api.ts",
    line: 12,
    column: 10,
    sourceLine: "  value: any;",
    width: 3,
    problem: "`any` is not supported",
    hint: "write the type",
  });
  assertEquals(
    e.message,
    "a.api.ts:12:10: `any` is not supported\n" +
      "  12 |   value: any;\n" +
      "     |          ^^^\n" +
      "  hint: write the type",
  );
});
