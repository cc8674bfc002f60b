/**
 * The standalone calculator programs (`examples/calculator/server.ts` and
 * `client.ts`) as a user runs them: two `deno run` processes.
 *
 * @module
 */

import { assert, assertEquals, assertStringIncludes } from "../_assert.ts";

const root = new URL("../../", import.meta.url);
const server = new URL("examples/calculator/server.ts", root).pathname;
const client = new URL("examples/calculator/client.ts", root).pathname;

async function firstLine(
  stream: ReadableStream<Uint8Array>,
): Promise<{ line: string; rest: ReadableStream<string> }> {
  const lines = stream.pipeThrough(new TextDecoderStream());
  const reader = lines.getReader();
  let buffered = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`server exited early; printed: ${buffered}`);
    buffered += value;
    const nl = buffered.indexOf("\n");
    if (nl >= 0) {
      reader.releaseLock();
      return { line: buffered.slice(0, nl), rest: lines };
    }
  }
}

Deno.test("examples/calculator client.ts gets typed results and errors from server.ts", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", server, "tcp://127.0.0.1:*"],
    stdout: "piped",
    stderr: "null",
    stdin: "null",
  }).spawn();
  try {
    const { line, rest } = await firstLine(child.stdout);
    const m = /listening on (tcp:\/\/\S+)/.exec(line);
    assert(m, `unexpected first line: ${line}`);
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", client, m[1]],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
    assertStringIncludes(text, "add(2, 3) = 5\n");
    assertStringIncludes(text, "sum([1, 2, 3.5]) = 6.5\n");
    assertStringIncludes(text, "countdown(5) streamed 5, 4, 3, 2, 1, 0\n");
    assertStringIncludes(text, "evaluate(1 + 2 × 0.3333) = 1.67 (exact 1.666");
    assertStringIncludes(
      text,
      "divide(1, 0) failed: INVALID_ARGUMENT: Cannot divide by zero\n",
    );
    assertStringIncludes(
      text,
      'sum(["not a number"]) failed: INVALID_ARGUMENT: Invalid arguments for Calculator.sum: args[0][0]: expected number, got string "not a number"',
    );
    child.kill("SIGTERM");
    let tail = "";
    for await (const chunk of rest) tail += chunk;
    assertStringIncludes(tail, "calculator server stopped");
    assertEquals((await child.status).code, 0);
  } finally {
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
    await child.status;
  }
});
