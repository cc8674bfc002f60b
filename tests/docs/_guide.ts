/**
 * Reads a Markdown guide into runnable blocks, and turns them into one
 * bash script that marks where each block's output starts.
 *
 * @module
 */

/** One fenced block that the guide test acts on. */
export type GuideBlock =
  /** A `sh` block: run it. */
  | { kind: "run"; text: string; line: number }
  /** A `text` block: lines the previous `sh` block prints. */
  | { kind: "expect"; text: string; line: number }
  /** A `ts`/`json` block whose first line names its file: write it. */
  | { kind: "file"; path: string; text: string; line: number };

/**
 * Finds the `sh`, `text`, and file blocks of a Markdown document, in order.
 * Other blocks (and `ts` blocks without a file name) are left alone.
 *
 * @param markdown the document
 * @returns the blocks; `line` is the 1-based line of the opening fence
 */
export function parseGuide(markdown: string): GuideBlock[] {
  const blocks: GuideBlock[] = [];
  const lines = markdown.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w*)\s*$/.exec(lines[i]);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i]); i++) {
      body.push(lines[i]);
    }
    const text = body.length === 0 ? "" : `${body.join("\n")}\n`;
    const line = start + 1;
    const lang = open[1];
    if (lang === "sh") blocks.push({ kind: "run", text, line });
    else if (lang === "text") blocks.push({ kind: "expect", text, line });
    else if (lang === "ts" || lang === "json" || lang === "jsonc") {
      const name = /^\/\/ ([\w./-]+\.\w+)$/.exec(body[0] ?? "");
      if (name) blocks.push({ kind: "file", path: name[1], text, line });
    }
  }
  return blocks;
}

/**
 * One bash script doing what the blocks say: stop at the first failure,
 * stderr merged into stdout, and a marker line before each `sh` block.
 *
 * @param blocks the guide's blocks
 * @returns the script
 */
export function guideScript(blocks: GuideBlock[]): string {
  const parts = ["set -euo pipefail", "exec 2>&1"];
  let run = 0;
  for (const block of blocks) {
    if (block.kind === "file") {
      const dir = block.path.includes("/")
        ? block.path.slice(0, block.path.lastIndexOf("/"))
        : ".";
      parts.push(
        `mkdir -p '${dir}'`,
        `cat > '${block.path}' <<'ZMP_GUIDE_EOF'\n${block.text}ZMP_GUIDE_EOF`,
      );
    } else if (block.kind === "run") {
      parts.push(`echo "@@zmp-guide-block ${run++}@@"`, block.text);
    }
  }
  return `${parts.join("\n")}\n`;
}
