/**
 * `readLines` and `consoleLaunchLogger`: line splitting and prefixes.
 *
 * @module
 */

import { assertEquals } from "../_assert.ts";
import { readLines } from "../../src/launch/logger.ts";

function streamOf(...chunks: string[]): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  return new ReadableStream({
    start(c) {
      for (const chunk of chunks) c.enqueue(enc.encode(chunk));
      c.close();
    },
  });
}

Deno.test("readLines() splits across chunks, strips CR, and keeps a last unterminated line", async () => {
  const lines: string[] = [];
  await readLines(
    streamOf("a\nb", "c\r\n", "\n", "tail"),
    (l) => lines.push(l),
  );
  assertEquals(lines, ["a", "bc", "", "tail"]);
});

Deno.test("readLines() cuts lines longer than maxLine", async () => {
  const lines: string[] = [];
  await readLines(streamOf("abcdefg\n"), (l) => lines.push(l), { maxLine: 3 });
  assertEquals(lines, ["abc", "def", "g"]);
});

Deno.test("consoleLaunchLogger() prefixes lines with padded names, coloured only when asked", async () => {
  const root = new URL("../../", import.meta.url);
  const script = `
    import { consoleLaunchLogger } from "${
    new URL("src/launch/logger.ts", root).href
  }";
    const colour = Deno.args[0] === "colour";
    const log = consoleLaunchLogger({ names: ["a", "long-name"], colour });
    log.line("a", "stdout", "hello");
    log.log("info", "started a");
    log.line("long-name", "stderr", "oops");
    await log.flush();
  `;
  const run = async (arg: string) => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["eval", script, arg],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const dec = new TextDecoder();
    return [dec.decode(out.stdout), dec.decode(out.stderr)];
  };
  assertEquals(await run("plain"), [
    "a         │ hello\nlaunch    │ started a\n",
    "long-name │ oops\n",
  ]);
  const [out] = await run("colour");
  assertEquals(
    out,
    "\x1b[36ma         │\x1b[0m hello\n\x1b[1mlaunch    │\x1b[0m started a\n",
  );
});
