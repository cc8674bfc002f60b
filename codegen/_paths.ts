/**
 * Path helpers: forward slashes everywhere, so that generated text is the
 * same on every platform.
 *
 * @module
 */

import { dirname, relative } from "node:path";

/** `to` relative to the directory `from`, with forward slashes. */
export function relativePath(from: string, to: string): string {
  return relative(from, to).replaceAll("\\", "/");
}

/**
 * An import specifier for `target` from a module in `fromFile`'s folder:
 * always starts with `./` or `../`.
 */
export function importSpecifier(fromFile: string, target: string): string {
  const rel = relativePath(dirname(fromFile), target);
  return rel.startsWith("../") ? rel : `./${rel}`;
}
