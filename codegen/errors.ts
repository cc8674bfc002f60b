/**
 * `CodegenError`: a problem in a definition file, located and explained.
 *
 * @module
 */

/** Where a {@linkcode CodegenError} points and what it says. */
export interface CodegenErrorInit {
  /** The file, relative to the project root (or as given). */
  file: string;
  /** 1-based line. */
  line: number;
  /** 1-based column. */
  column: number;
  /** The source line, verbatim (without its line break). */
  sourceLine: string;
  /** How many characters to underline from `column` (at least 1). */
  width?: number;
  /** What is wrong, e.g. `` `any` is not supported ``. */
  problem: string;
  /** What to write instead. */
  hint: string;
}

/**
 * A definition file uses something zmp cannot generate code for. The
 * message names `file:line:column`, quotes the source line, underlines the
 * construct and says what to write instead.
 *
 * @example
 * ```ts
 * const init: CodegenErrorInit = {
 *   file: "a.api.ts",
 *   line: 3,
 *   column: 10,
 *   sourceLine: "  value: any;",
 *   width: 3,
 *   problem: "`any` is not supported",
 *   hint: "write the actual type",
 * };
 * const e = new CodegenError(init);
 * if (!e.message.startsWith("a.api.ts:3:10: `any` is not supported")) {
 *   throw new Error(e.message);
 * }
 * ```
 */
export class CodegenError extends Error {
  /** The file, relative to the project root. */
  readonly file: string;
  /** 1-based line. */
  readonly line: number;
  /** 1-based column. */
  readonly column: number;
  /** The quoted source line. */
  readonly sourceLine: string;
  /** What is wrong, without the location. */
  readonly problem: string;
  /** What to write instead. */
  readonly hint: string;

  /** @param init where and what */
  constructor(init: CodegenErrorInit) {
    super(formatMessage(init));
    this.name = "CodegenError";
    this.file = init.file;
    this.line = init.line;
    this.column = init.column;
    this.sourceLine = init.sourceLine;
    this.problem = init.problem;
    this.hint = init.hint;
  }
}

function formatMessage(init: CodegenErrorInit): string {
  const { file, line, column, sourceLine, problem, hint } = init;
  const gutter = String(line);
  const blank = " ".repeat(gutter.length);
  const text = sourceLine.replace(/\t/g, " ");
  const available = Math.max(1, text.length - (column - 1));
  const width = Math.max(1, Math.min(init.width ?? 1, available));
  const caret = " ".repeat(column - 1) + "^".repeat(width);
  return [
    `${file}:${line}:${column}: ${problem}`,
    `  ${gutter} | ${text}`,
    `  ${blank} | ${caret}`,
    `  hint: ${hint}`,
  ].join("\n");
}
