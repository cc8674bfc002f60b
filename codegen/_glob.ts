/**
 * Glob matching and file discovery, enough for definition files:
 * `**` (any folders), `*` and `?` (within one path segment), `{a,b}`.
 *
 * @module
 */

import { join } from "node:path";
import { relativePath } from "./_paths.ts";

/** Whether a string uses glob syntax. */
export function isGlob(s: string): boolean {
  return /[*?{}[\]]/.test(s);
}

/** A regular expression matching paths (forward slashes) that `glob` matches. */
export function globToRegExp(glob: string): RegExp {
  let re = "";
  let depth = 0;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === "*" && glob[i + 1] === "*") {
      const slash = glob[i + 2] === "/";
      re += slash ? "(?:.*/)?" : ".*";
      i += slash ? 2 : 1;
    } else if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else if (c === "{") {
      re += "(?:";
      depth++;
    } else if (c === "}" && depth > 0) {
      re += ")";
      depth--;
    } else if (c === "," && depth > 0) re += "|";
    else re += c.replace(/[.+^$()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
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
  const inc = include.map(globToRegExp);
  const exc = exclude.map(globToRegExp);
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries: Deno.DirEntry[] = [];
    for await (const e of Deno.readDir(dir)) entries.push(e);
    for (const e of entries) {
      const path = join(dir, e.name);
      const rel = relativePath(root, path);
      if (e.isDirectory) {
        if (!SKIPPED_DIRS.has(e.name) && !exc.some((r) => r.test(rel))) {
          await walk(path);
        }
      } else if (
        inc.some((r) => r.test(rel)) && !exc.some((r) => r.test(rel))
      ) {
        out.push(path);
      }
    }
  };
  await walk(root);
  return out.sort();
}
