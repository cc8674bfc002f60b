/**
 * File discovery for definition files: globs matched by npm `picomatch`
 * (`**`, `*`, `?`, `{a,b}`, `[abc]`, `!(x)`…) against root-relative paths.
 *
 * @module
 */

import { join } from "node:path";
// @ts-types="@types/picomatch"
import picomatch from "picomatch";
import { relativePath } from "./_paths.ts";

/** Whether a string uses glob syntax. */
export function isGlob(s: string): boolean {
  return picomatch.scan(s).isGlob;
}

const SKIPPED_DIRS = new Set(["node_modules", ".git"]);

/**
 * Files under `root` whose root-relative path matches one of `include` and
 * none of `exclude`; `node_modules` and `.git` are never entered. Sorted.
 */
export async function findFiles(
  root: string,
  include: readonly string[],
  exclude: readonly string[] = [],
): Promise<string[]> {
  const matcher = (globs: readonly string[]): (path: string) => boolean =>
    globs.length ? picomatch([...globs]) : () => false;
  const included = matcher(include);
  const excluded = matcher(exclude);
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries: Deno.DirEntry[] = [];
    for await (const e of Deno.readDir(dir)) entries.push(e);
    for (const e of entries) {
      const path = join(dir, e.name);
      const rel = relativePath(root, path);
      if (e.isDirectory) {
        if (!SKIPPED_DIRS.has(e.name) && !excluded(rel)) {
          await walk(path);
        }
      } else if (
        included(rel) && !excluded(rel)
      ) {
        out.push(path);
      }
    }
  };
  await walk(root);
  return out.sort();
}
