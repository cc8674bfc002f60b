/**
 * The launch files of the examples and the demo, run as a user runs them:
 * each must end by itself with exit code 0 and print what it promises.
 *
 * @module
 */

import { assert, assertEquals, assertStringIncludes } from "../_assert.ts";
import { Launcher, ROOT } from "./_harness.ts";

Deno.test("examples/calculator/launch.ts: a client calls two servers by name, then the launch ends", async () => {
  await using launcher = new Launcher(["examples/calculator/launch.ts"]);
  assertEquals(await launcher.exited(), 0, launcher.text);
  const text = launcher.text;
  for (let i = 1; i <= 4; i++) {
    assertStringIncludes(text, `client │ add(${i}, ${10 * i}) = ${11 * i}\n`);
  }
  assertStringIncludes(text, "client │ sum([1, 2, 3.5]) = 6.5\n");
  assertStringIncludes(text, "client │ countdown(3) streamed 3, 2, 1, 0\n");
  assertStringIncludes(text, "client │ evaluate(1 + 2 × 0.3333) = 1.67 (exact");
  assertStringIncludes(
    text,
    "client │ divide(1, 0) failed as expected: INVALID_ARGUMENT: Cannot divide by zero\n",
  );
  // Both instances served calls: the client balanced over them.
  assertStringIncludes(text, "calc-1 │ serving ");
  assertStringIncludes(text, "calc-2 │ serving ");
  assertStringIncludes(
    text,
    "stopping: client is required and ended (exit code 0)",
  );
});

Deno.test("examples/sensors/launch.ts: the filter follows a param change live", async () => {
  await using launcher = new Launcher(["examples/sensors/launch.ts"]);
  assertEquals(await launcher.exited(), 0, launcher.text);
  const text = launcher.text;
  assertStringIncludes(text, "filter   │ filter.alpha: 0.05 → 0.5\n");
  assertStringIncludes(text, "sink     │ done: 80 readings received");
  const alphas = launcher.lines
    .map((l) => /^sink +│ # *(\d+) .* alpha ([\d.]+)$/.exec(l.text))
    .filter((m) => m !== null)
    .map((m) => [Number(m![1]), Number(m![2])]);
  assert(alphas.some(([, a]) => a === 0.05), text);
  assert(alphas.some(([, a]) => a === 0.5), text);
  // Once changed, it stays changed.
  const first = alphas.findIndex(([, a]) => a === 0.5);
  assert(alphas.slice(first).every(([, a]) => a === 0.5), text);
});

Deno.test("examples/demo/main.ts (deno task demo) explains itself and exits 0", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "examples/demo/main.ts"],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  assertEquals(out.code, 0, text + new TextDecoder().decode(out.stderr));
  assertStringIncludes(text, "zmp demo: seven nodes");
  assertStringIncludes(text, "client   │ add(1, 10) = 11\n");
  assertStringIncludes(text, "filter   │ filter.alpha: 0.05 → 0.5\n");
  assertStringIncludes(text, "That was zmp.");
});
