/**
 * The proxy example (`examples/proxy/`): three workers, a proxy in front,
 * a client making idempotent calls, launched with `zmp launch`; one worker
 * is killed with SIGKILL while the client runs.
 *
 * @module
 */

import { assert, assertEquals, assertStringIncludes } from "../_assert.ts";
import { alive, Launcher } from "../launch/_harness.ts";
import type { ProxyStats } from "../../examples/proxy/proxy.api.ts";

/** The client's `N/600 answered: w (pid p) n, …` lines. */
function progress(launcher: Launcher) {
  return launcher.lines.flatMap((l) => {
    const m = /^client +│ (\d+)\/600 answered: (.*)$/.exec(l.text);
    if (m === null) return [];
    const counts = new Map<string, number>();
    for (const part of m[2].split(", ")) {
      const w = /^(.*\)) (\d+)$/.exec(part)!;
      counts.set(w[1], Number(w[2]));
    }
    return [{ at: l.at, done: Number(m[1]), counts }];
  });
}

Deno.test("examples/proxy/launch.ts: a worker killed with SIGKILL mid-run loses no call", async () => {
  await using launcher = new Launcher(["examples/proxy/launch.ts"]);
  await launcher.line(/^client +│ 150\/600 answered/, 30_000);
  const pid = launcher.pids().get("worker-2");
  assert(pid !== undefined && alive(pid), launcher.text);
  Deno.kill(pid, "SIGKILL");
  const killedAt = performance.now();

  assertEquals(await launcher.exited(), 0, launcher.text);
  const text = launcher.text;
  // Every call was answered exactly once, with the right square.
  assertStringIncludes(
    text,
    "client   │ done: 600 calls, 600 answered once with the right square, 0 wrong, 0 failed\n",
  );
  assertStringIncludes(text, "worker-2 exited with code");

  // The killed worker had answered before the kill, and not after: every
  // report written well after the kill shows its count frozen, while the
  // other two kept answering.
  const killed = `worker-2 (pid ${pid})`;
  const reports = progress(launcher);
  const last = reports.at(-1)!;
  assertEquals(last.done, 600, text);
  const before = reports.filter((r) => r.at < killedAt).at(-1)!;
  assert(before.counts.get(killed)! > 0, text);
  const after = reports.filter((r) => r.at > killedAt + 500);
  assert(after.length > 0, `no report 500 ms after the kill:\n${text}`);
  for (const r of after) {
    assertEquals(r.counts.get(killed), last.counts.get(killed), text);
  }
  const others = (r: (typeof reports)[number]) =>
    [...r.counts].filter(([w]) => w !== killed).reduce((s, [, n]) => s + n, 0);
  assert(others(last) > others(before), text);

  // The proxy counted the same answers.
  const m = /client +│ proxy stats: (\{.*\})$/m.exec(text);
  assert(m, text);
  const stats: ProxyStats = JSON.parse(m[1]);
  assertEquals(stats.answered, 600);
  assertEquals(stats.failed, 0);
  assertEquals(stats.byWorker, Object.fromEntries(last.counts));
});
