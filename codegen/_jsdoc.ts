/**
 * Reads a declaration's JSDoc: its description and its tags.
 *
 * @module
 */

import { Node } from "ts-morph";

/** One JSDoc tag: `@topic sensors/temperature` → name `topic`. */
export interface DocTag {
  readonly name: string;
  /** The text after the tag name, trimmed; `""` when there is none. */
  readonly text: string;
  /** The tag node, for error locations. */
  readonly node: Node;
}

/** A declaration's documentation. */
export interface DocInfo {
  /** The description, lines trimmed; `undefined` when empty. */
  readonly description?: string;
  readonly tags: readonly DocTag[];
}

/** The JSDoc of `node` (the last block, the one TypeScript uses). */
export function jsDocOf(node: Node): DocInfo {
  if (!Node.isJSDocable(node)) return { tags: [] };
  const docs = node.getJsDocs();
  const doc = docs[docs.length - 1];
  if (!doc) return { tags: [] };
  const description = doc.getDescription().split(/\r?\n/).map((l) => l.trim())
    .join("\n").trim();
  const tags = doc.getTags().map((t) => ({
    name: t.getTagName(),
    text: (t.getCommentText() ?? "").trim(),
    node: t as Node,
  }));
  return description ? { description, tags } : { tags };
}

/** The first tag named `name`, if any. */
export function tagOf(info: DocInfo, name: string): DocTag | undefined {
  return info.tags.find((t) => t.name === name);
}
