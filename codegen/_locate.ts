/**
 * Turns a ts-morph node into a located {@linkcode CodegenError}.
 *
 * @module
 */

import type { Node } from "ts-morph";
import { CodegenError } from "./errors.ts";
import { relativePath } from "./_paths.ts";

/**
 * Builds the error for `node`: its file relative to `root`, its start line
 * and column, the quoted line, and the node's width on that line.
 */
export function errorAt(
  node: Node,
  root: string,
  message: { problem: string; hint: string },
): CodegenError {
  const sf = node.getSourceFile();
  const start = node.getStart();
  const { line, column } = sf.getLineAndColumnAtPos(start);
  const sourceLine = sf.getFullText().split(/\r?\n/)[line - 1] ?? "";
  return new CodegenError({
    file: relativePath(root, sf.getFilePath()),
    line,
    column,
    sourceLine,
    width: node.getEnd() - start,
    problem: message.problem,
    hint: message.hint,
  });
}
