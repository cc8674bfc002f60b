/**
 * The reactor parks on an off-thread poll(): an idle process with pending
 * receives uses (almost) no CPU.
 */

import { assert, assertEquals } from "../_assert.ts";
import { runFixture } from "./_helpers.ts";

Deno.test("Socket.receive() pending through 2 s of idle costs under 150 ms of CPU", async () => {
  // In a subprocess: the test runner's own work would count otherwise.
  const { code, stdout, stderr } = await runFixture("idle_cpu.ts", {
    args: ["2000"],
  });
  assertEquals(code, 0, stderr);
  const { cpuMs, wallMs } = JSON.parse(stdout.trim().split("\n").at(-1)!);
  assert(wallMs >= 1990, `idled only ${wallMs} ms`);
  assert(cpuMs < 150, `used ${cpuMs} ms of CPU in ${wallMs} ms of idle`);
});
