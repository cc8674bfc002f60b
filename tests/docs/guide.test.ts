/**
 * Runs docs/guide.md and docs/web.md, so that they cannot go stale: every fenced
 * `sh` block is run, in order, by one bash process (for the guide, in an
 * empty folder outside the checkout, as a user starts; for web.md, in a
 * scratch copy of the repository); every `ts`/`json` block whose first line names a file
 * (`// apps/hello/x.ts`) is written there first; every `text` block lists
 * lines that the `sh` block before it must print, in that order (`…`
 * matches anything). The script stops at the first failing command.
 */

import { assertEquals } from "../_assert.ts";
import { parseGuide, runGuide } from "./_guide.ts";

const GUIDE = new URL("../../docs/guide.md", import.meta.url);

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
  // From an empty folder outside the checkout, as a user starts; the
  // guide's fixed ports (the registry's, and etcd's client and peer ports
  // in "Many machines") become free ones.
  const fixed = ["7451", "2479", "2480"];
  const free = (): string => {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = String((listener.addr as Deno.NetAddr).port);
    listener.close();
    // A port that holds another fixed one would be replaced again.
    return fixed.some((f) => port.includes(f)) ? free() : port;
  };
  await runGuide(GUIDE, {
    copy: "outside",
    replace: { "7451": free(), "2479": free(), "2480": free() },
    minRuns: 10,
  });
});

// In this file, not its own: test files run in parallel, and two guides
// launching systems at once on a busy machine make each other late.
Deno.test("docs/web.md: every command runs and prints what the chapter says", async () => {
  await runGuide(new URL("../../docs/web.md", import.meta.url), {
    copy: ["mod.ts", "deno.json", "deno.lock", "src", "codegen", "examples"],
    minRuns: 10,
  });
});
