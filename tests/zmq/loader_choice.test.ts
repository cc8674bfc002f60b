/**
 * Which libzmq the loader picks: the bundled build by default (the one
 * that loads on this libc), the system's only when ZMP_LIBZMQ=system asks
 * or as a fallback, and exactly ZMP_LIBZMQ=<path> when given.
 */

import { assert, assertEquals, assertMatch } from "../_assert.ts";

const LOADER = new URL("../../src/zmq/loader.ts", import.meta.url).href;

/** Runs a script that loads libzmq, with `env`, and returns what it saw. */
async function load(env: Record<string, string>) {
  const script = `
    import { libzmq, libzmqCandidates } from "${LOADER}";
    const lib = libzmq();
    const has = (c) => lib.zmq.zmq_has(new TextEncoder().encode(c + "\\0")) === 1;
    console.log(JSON.stringify({
      candidates: libzmqCandidates().map((c) => c.source),
      path: lib.path, source: lib.source, version: lib.version.join("."),
      draft: has("draft"), curve: has("curve"),
      skipped: lib.attempts.map((a) => a.path),
    }));`;
  const dir = await Deno.makeTempDir({ prefix: "zmp-loader-" });
  try {
    await Deno.writeTextFile(`${dir}/load.mjs`, script);
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", `${dir}/load.mjs`],
      cwd: new URL("../../", import.meta.url).pathname,
      env: { ZMP_LIBZMQ: "", ...env },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
    return JSON.parse(text);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function systemLibzmq(): string | undefined {
  for (
    const dir of [
      "/usr/lib/x86_64-linux-gnu",
      "/usr/lib/aarch64-linux-gnu",
      "/usr/lib",
    ]
  ) {
    try {
      if (Deno.statSync(`${dir}/libzmq.so.5`).isFile) {
        return `${dir}/libzmq.so.5`;
      }
    } catch {
      // not there
    }
  }
  return undefined;
}

Deno.test("libzmq() loads the bundled build by default, even with a system libzmq installed", async () => {
  const r = await load({});
  assertEquals(r.source, "bundled");
  assertMatch(r.path, /zeromq.*\/build\/linux\/.*Release\/addon\.node$/);
  assertEquals(r.version, "4.3.5");
  assertEquals(r.draft, true);
  assertEquals(r.curve, true);
  // Every bundled candidate comes before any system one.
  const first = r.candidates.indexOf("system");
  assert(first > 0, JSON.stringify(r.candidates));
  assertEquals(
    r.candidates.slice(first).every((s: string) => s === "system"),
    true,
  );
  // What was skipped before it were builds for another libc.
  for (const path of r.skipped) assertMatch(path, /glibc-\d+-Release/);
});

Deno.test("ZMP_LIBZMQ=system puts the system libzmq first; a path is used alone", async () => {
  const system = systemLibzmq();
  const r = await load({ ZMP_LIBZMQ: "system" });
  assertEquals(r.candidates[0], "system");
  if (system !== undefined) assertEquals(r.source, "system");
  const bundled = (await load({})).path;
  const explicit = await load({ ZMP_LIBZMQ: bundled });
  assertEquals(explicit.candidates, ["env"]);
  assertEquals(explicit.source, "env");
  assertEquals(explicit.path, bundled);
});
