/**
 * Runs docs/guide.md, so that the guide cannot go stale: every fenced
 * `sh` block is run, in order, by one bash process in an empty folder
 * outside the checkout, as a user would (`ZMP` names this checkout; `zmp`
 * is installed into the folder, not globally); every `ts`/`json` block
 * whose first line names a file (`// apps/hello/x.ts`) is written there
 * first; every `text` block lists lines that the `sh` block before it must
 * print, in that order (`…` matches anything). The script stops at the
 * first failing command. The guide's registry port is replaced by a free
 * one, in the commands and in the expected output.
 */

import { assert, assertEquals } from "../_assert.ts";
import { type GuideBlock, guideScript, parseGuide } from "./_guide.ts";

const ROOT = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");
const GUIDE = new URL("../../docs/guide.md", import.meta.url);
/** The registry port the guide names. */
const GUIDE_PORT = "7451";

function freePort(): string {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return String(port);
}

Deno.test("docs/guide.md: parseGuide() finds the blocks in order", () => {
  const blocks = parseGuide(
    "# T\n\n```sh\necho hi\n```\n\n```text\nhi\n```\n\n```ts\n// a/b.ts\nexport {};\n```\n\n```ts\nnot a file\n```\n",
  );
  assertEquals(blocks, [
    { kind: "run", text: "echo hi\n", line: 3 },
    { kind: "expect", text: "hi\n", line: 7 },
    { kind: "file", path: "a/b.ts", text: "// a/b.ts\nexport {};\n", line: 11 },
  ]);
});

Deno.test("docs/guide.md: every command runs and prints what the guide says", async () => {
  const port = freePort();
  const blocks = parseGuide(
    (await Deno.readTextFile(GUIDE)).replaceAll(GUIDE_PORT, port),
  );
  const runs = blocks.filter((b) => b.kind === "run").length;
  assert(runs >= 10, `the guide has ${runs} shell blocks`);
  const dir = await Deno.makeTempDir({ prefix: "zmp-guide-" });
  assert(!dir.startsWith(`${ROOT}/`), `${dir} is inside the checkout`);
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
      ZMP: ROOT,
      DENO_INSTALL_ROOT: `${dir}/.deno`,
      PATH: `${dir}/.deno/bin:${Deno.env.get("PATH") ?? ""}`,
    },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => killGroup(child.pid), 240_000);
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
    `the guide failed in the block at docs/guide.md:${
      blockLine(blocks, sections.length - 1)
    }; its output:\n${sections.at(-1)}\nstderr: ${
      new TextDecoder().decode(output.stderr)
    }`,
  );
  let run = -1;
  for (const block of blocks) {
    if (block.kind === "run") run++;
    if (block.kind !== "expect") continue;
    checkLines(sections[run] ?? "", block.text, block.line);
  }
});

/** The output of each `sh` block, split at the script's markers. */
function splitOutput(text: string): string[] {
  return text.split(/^@@zmp-guide-block \d+@@\n/m).slice(1);
}

function blockLine(blocks: GuideBlock[], run: number): number {
  return blocks.filter((b) => b.kind === "run")[run]?.line ?? 0;
}

/** Every expected line appears in `actual`, in order; `…` is a wildcard. */
function checkLines(actual: string, expected: string, line: number): void {
  const lines = actual.split("\n");
  let at = 0;
  for (const want of expected.trimEnd().split("\n")) {
    const re = new RegExp(
      `^${want.split("…").map(escapeRegExp).join(".*")}$`,
    );
    const found = lines.findIndex((l, i) => i >= at && re.test(l.trimEnd()));
    assert(
      found >= 0,
      `docs/guide.md:${line}: expected a line ${
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
