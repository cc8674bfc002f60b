/**
 * Runs docs/observe.md, so that it cannot go stale: every `sh` block in
 * order by one bash process in a scratch copy of the repository, each
 * `text` block's lines checked against what the block before printed.
 */

import { runGuide } from "./_guide.ts";

Deno.test("docs/observe.md: every command runs and prints what the chapter says", async () => {
  await runGuide(new URL("../../docs/observe.md", import.meta.url), {
    copy: ["mod.ts", "deno.json", "deno.lock", "src", "codegen", "examples"],
    minRuns: 10,
  });
});
