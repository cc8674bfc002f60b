/**
 * Reading `deno.json` and `deno.jsonc`: JSON with comments and trailing
 * commas, parsed by npm `jsonc-parser` (the parser VS Code uses).
 *
 * @module
 */

import { parse, type ParseError, printParseErrorCode } from "jsonc-parser";

/**
 * Parses JSON with comments and trailing commas. Strings are never
 * rewritten: `"a,]"` stays `"a,]"`.
 *
 * @param text the document
 * @param file its name, for the error message
 * @returns the value
 * @throws {SyntaxError} naming the file, the first problem and its offset
 */
export function parseJsonc(text: string, file: string): unknown {
  const errors: ParseError[] = [];
  const value = parse(text, errors, {
    allowTrailingComma: true,
    disallowComments: false,
  });
  if (errors.length > 0) {
    const first = errors[0];
    const before = text.slice(0, first.offset);
    const line = before.split("\n").length;
    const column = first.offset - before.lastIndexOf("\n");
    throw new SyntaxError(
      `Cannot read ${file}: ${
        printParseErrorCode(first.error)
      } at line ${line}, column ${column}`,
    );
  }
  return value;
}
