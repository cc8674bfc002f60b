/**
 * Stopping nodes that have not finished starting: `zmp launch` as a real
 * subprocess, stopped while a node's Deno is still loading, or while its
 * module's top-level `await` holds the import. Either way the stop is a
 * clean one: no failure, no kill, exit code 0.
 *
 * @module
 */

import { assert, assertEquals, assertStringIncludes } from "../_assert.ts";
import { alive, fixture, Launcher, tempDir, writeLaunch } from "./_harness.ts";

const REGISTRY = { endpoint: "tcp://127.0.0.1:*" };

/** The launcher's own lines that are not info (`launch │ …`): none wanted. */
function complaints(launcher: Launcher): string[] {
  return launcher.lines
    .map((l) => l.text)
    .filter((t) =>
      /^launch +│ .*(did not stop|killing|failed|SIGTERM)/.test(t)
    );
}

Deno.test("zmp launch stops a node still loading its runtime cleanly: exit code 0, nothing killed", async () => {
  await using dir = await tempDir();
  const file = await writeLaunch(dir.path, {
    registry: REGISTRY,
    gracePeriod: 10_000,
    nodes: [{ name: "slow", module: fixture("slow_load.ts") }],
  });
  await using launcher = new Launcher(["--no-check", file]);
  // The stop follows the spawn by a few ms: Deno itself takes ~150 ms to
  // start, so it reaches the node before any code of the node runs.
  await launcher.line(/started slow \(subprocess, pid \d+/);
  launcher.child.kill("SIGTERM");
  assertEquals(await launcher.exited(), 0, launcher.text);
  assertStringIncludes(launcher.text, "stopped slow (exit code 0)");
  assertEquals(complaints(launcher), [], launcher.text);
  // Whether its module was imported before the node read the end of its
  // standard input is a race (the import runs beside that read), so it is
  // reported, not asserted: either way the stop is clean.
  console.log(
    /^slow +│ loading/m.test(launcher.text)
      ? "stopped once its module was loading"
      : "stopped before its module was imported",
  );
  for (const pid of launcher.pids().values()) assertEquals(alive(pid), false);
});

Deno.test("zmp launch stops a node held by its module's top-level await cleanly, without waiting for the import", async () => {
  await using dir = await tempDir();
  const file = await writeLaunch(dir.path, {
    registry: REGISTRY,
    gracePeriod: 10_000,
    nodes: [{ name: "slow", module: fixture("slow_load.ts") }],
  });
  await using launcher = new Launcher(["--no-check", file]);
  await launcher.line(/^slow +│ loading \d+$/);
  launcher.child.kill("SIGTERM");
  // Well under the module's 30 s await and the 10 s grace period.
  assertEquals(await launcher.exited(9_000), 0, launcher.text);
  assertStringIncludes(launcher.text, "stopped slow (exit code 0)");
  assertEquals(complaints(launcher), [], launcher.text);
  assert(!/^slow +│ up slow/m.test(launcher.text), launcher.text);
  for (const pid of launcher.pids().values()) assertEquals(alive(pid), false);
});

Deno.test("zmp launch counts a fallback SIGTERM that finds a node still starting as a clean stop", async () => {
  await using dir = await tempDir();
  const file = await writeLaunch(dir.path, {
    registry: REGISTRY,
    // Shorter than Deno's start-up: the SIGTERM fallback comes while the
    // node may still be loading, before its stop handler exists.
    gracePeriod: 20,
    nodes: [{ name: "slow", module: fixture("slow_load.ts") }],
  });
  await using launcher = new Launcher(["--no-check", file]);
  await launcher.line(/started slow \(subprocess, pid \d+/);
  launcher.child.kill("SIGTERM");
  assertEquals(await launcher.exited(), 0, launcher.text);
  const stopped = await launcher.line(
    /stopped slow (while it was starting \(SIGTERM, exit code 143\)|\(exit code 0\))/,
  );
  console.log(`ended by: ${stopped[0]}`);
  assert(!/killing|failed/.test(launcher.text), launcher.text);
  for (const pid of launcher.pids().values()) assertEquals(alive(pid), false);
});
