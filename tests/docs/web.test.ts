/**
 * Runs docs/web.md as docs/guide.test.ts runs the guide: every `sh` block
 * in order in a scratch checkout (with `examples/`, which it launches), and
 * every `text` block checked against what the block before it printed.
 */

import { runGuide } from "./_guide.ts";

Deno.test("docs/web.md: every command runs and prints what the chapter says", async () => {
  await runGuide(new URL("../../docs/web.md", import.meta.url), {
    copy: ["mod.ts", "deno.json", "deno.lock", "src", "codegen", "examples"],
    minRuns: 10,
  });
});
