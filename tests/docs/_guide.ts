/**
 * Reads a Markdown guide into runnable blocks, turns them into one bash
 * script that marks where each block's output starts, and runs it in a
 * scratch copy of the repository, checking what each block prints
 * (`docs/guide.md`, `docs/web.md`).
 *
 * @module
 */

import { assert, assertEquals } from "../_assert.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

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

/**
 * A scratch copy of what a user's checkout holds (node_modules linked).
 *
 * @param names the files and folders to copy
 * @returns the folder
 */
export async function scratchCheckout(names: string[]): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "zmp-guide-" });
  const copy = async (from: string, to: string) => {
    const info = await Deno.stat(from);
    if (info.isDirectory) {
      await Deno.mkdir(to, { recursive: true });
      for await (const entry of Deno.readDir(from)) {
        await copy(`${from}/${entry.name}`, `${to}/${entry.name}`);
      }
    } else await Deno.copyFile(from, to);
  };
  for (const name of names) await copy(`${ROOT}${name}`, `${dir}/${name}`);
  await Deno.symlink(`${ROOT}node_modules`, `${dir}/node_modules`);
  return dir;
}

/** Options of {@linkcode runGuide}. */
export interface RunGuideOptions {
  /**
   * What the scratch checkout holds besides node_modules; or `"outside"`:
   * an empty folder outside the checkout, as a user starts, with `ZMP`
   * naming this checkout and `deno install -g` writing into the folder.
   */
  copy: string[] | "outside";
  /** Text replaced in the document before it runs (e.g. a fixed port). */
  replace?: Record<string, string>;
  /** The fewest `sh` blocks the document must have. */
  minRuns: number;
  /** How long the whole script may take, in ms. @default {240000} */
  timeout?: number;
}

/**
 * Runs every `sh` block of a guide, in order, by one bash process in a
 * scratch checkout, and checks that each `text` block's lines are printed
 * by the `sh` block before it, in order (`…` matches anything).
 *
 * @param guide the Markdown file
 * @param options what to copy, how many blocks at least
 * @throws {AssertionError} at the first block that fails or prints
 *   something else, naming its line
 */
export async function runGuide(
  guide: URL,
  options: RunGuideOptions,
): Promise<void> {
  const name = guide.pathname.slice(ROOT.length);
  let markdown = await Deno.readTextFile(guide);
  for (const [from, to] of Object.entries(options.replace ?? {})) {
    markdown = markdown.replaceAll(from, to);
  }
  const blocks = parseGuide(markdown);
  const runs = blocks.filter((b) => b.kind === "run").length;
  assert(runs >= options.minRuns, `${name} has ${runs} shell blocks`);
  const outside = options.copy === "outside";
  const dir = outside
    ? await Deno.makeTempDir({ prefix: "zmp-guide-" })
    : await scratchCheckout(options.copy as string[]);
  assert(!outside || !dir.startsWith(ROOT), `${dir} is in the checkout`);
  const script = `${dir}/guide.sh`;
  await Deno.writeTextFile(script, guideScript(blocks));
  // Its own session and process group, so that whatever the guide leaves
  // running when a step fails is killed with it.
  const child = new Deno.Command("setsid", {
    args: ["bash", script],
    cwd: dir,
    env: {
      NO_COLOR: "1",
      ZMP_REGISTRY: "",
      ...(outside
        ? {
          ZMP: ROOT.replace(/\/$/, ""),
          DENO_INSTALL_ROOT: `${dir}/.deno`,
          PATH: `${dir}/.deno/bin:${Deno.env.get("PATH") ?? ""}`,
        }
        : {}),
    },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(
    () => killGroup(child.pid),
    options.timeout ?? 240_000,
  );
  let output: Deno.CommandOutput;
  try {
    output = await child.output();
  } finally {
    clearTimeout(timer);
    killGroup(child.pid);
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
  const text = new TextDecoder().decode(output.stdout);
  const sections = splitOutput(text);
  assertEquals(
    output.code,
    0,
    `the guide failed in the block at ${name}:${
      blockLine(blocks, sections.length - 1)
    }; its output:\n${sections.at(-1)}\nstderr: ${
      new TextDecoder().decode(output.stderr)
    }`,
  );
  let run = -1;
  for (const block of blocks) {
    if (block.kind === "run") run++;
    if (block.kind !== "expect") continue;
    checkLines(name, sections[run] ?? "", block.text, block.line);
  }
}

/** The output of each `sh` block, split at the script's markers. */
function splitOutput(text: string): string[] {
  return text.split(/^@@zmp-guide-block \d+@@\n/m).slice(1);
}

function blockLine(blocks: GuideBlock[], run: number): number {
  return blocks.filter((b) => b.kind === "run")[run]?.line ?? 0;
}

/** Every expected line appears in `actual`, in order; `…` is a wildcard. */
function checkLines(
  name: string,
  actual: string,
  expected: string,
  line: number,
): void {
  const lines = actual.split("\n");
  let at = 0;
  for (const want of expected.trimEnd().split("\n")) {
    const re = new RegExp(
      `^${want.split("…").map(escapeRegExp).join(".*")}$`,
    );
    const found = lines.findIndex((l, i) => i >= at && re.test(l.trimEnd()));
    assert(
      found >= 0,
      `${name}:${line}: expected a line ${
        JSON.stringify(want)
      } (in order) in the output of the block above it:\n${actual}`,
    );
    at = found + 1;
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function killGroup(pid: number): void {
  try {
    Deno.kill(-pid, "SIGKILL");
  } catch {
    // the group is gone
  }
}
