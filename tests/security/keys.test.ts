/**
 * The key directory of secure mode and `zmp keys`, through real processes
 * run from a folder outside the checkout.
 */

import {
  assert,
  assertEquals,
  assertMatch,
  assertRejects,
} from "../_assert.ts";
import {
  ensureKeyPair,
  generateKeyPair,
  KeyStoreError,
  listKeys,
  readKeyPair,
} from "../../src/launch/keys.ts";
import { curvePublic } from "../../src/zmq/curve.ts";
import { CLI, outsideFolder, run } from "../project/_project.ts";

function zmp(cwd: string, args: string[], env: Record<string, string> = {}) {
  return run(Deno.execPath(), ["run", "-A", CLI, ...args], {
    cwd,
    env,
    timeout: 60000,
  });
}

Deno.test("ensureKeyPair: made once on first use, 0600 in a 0700 directory, read back the same", async () => {
  await using tmp = await outsideFolder();
  const dir = `${tmp.path}/keys`;
  assertEquals(await readKeyPair(dir, "calc"), undefined);
  const made = await ensureKeyPair(dir, "ns/calc");
  assertEquals(await curvePublic(made.secretKey), made.publicKey);
  assertEquals(await ensureKeyPair(dir, "ns/calc"), made);
  assertEquals((await Deno.stat(dir)).mode! & 0o777, 0o700);
  assertEquals((await Deno.stat(`${dir}/ns%2Fcalc.key`)).mode! & 0o777, 0o600);
  assertEquals(await listKeys(dir), [
    { name: "ns/calc", publicKey: made.publicKey, secret: true },
  ]);
  await assertRejects(
    () => generateKeyPair(dir, "ns/calc"),
    KeyStoreError,
    "exists (rotate it with --replace)",
  );
  const rotated = await generateKeyPair(dir, "ns/calc", { replace: true });
  assert(rotated.publicKey !== made.publicKey);
  assertEquals(
    (await readKeyPair(dir, "ns/calc"))?.publicKey,
    rotated.publicKey,
  );
});

Deno.test("readKeyPair: refuses a key others can read, a tampered file, and a bad name", async () => {
  await using tmp = await outsideFolder();
  const dir = `${tmp.path}/keys`;
  const pair = await ensureKeyPair(dir, "calc");
  await Deno.chmod(`${dir}/calc.key`, 0o644);
  await assertRejects(
    () => readKeyPair(dir, "calc"),
    KeyStoreError,
    "other users may read it (mode 644); make it 0600",
  );
  await Deno.chmod(`${dir}/calc.key`, 0o600);
  await Deno.writeTextFile(
    `${dir}/calc.key`,
    JSON.stringify({
      ...pair,
      publicKey: (await ensureKeyPair(dir, "x")).publicKey,
    }),
  );
  await assertRejects(
    () => readKeyPair(dir, "calc"),
    KeyStoreError,
    "calc.key",
  );
  await assertRejects(() => readKeyPair(dir, "a b"), TypeError, "key name");
});

Deno.test("zmp keys gen|list|show: one line per key, the directory from --keys or ZMP_KEYS, bad input one line", async () => {
  await using tmp = await outsideFolder();
  const gen = await zmp(tmp.path, ["keys", "gen", "calc"]);
  assertEquals(gen.code, 0, gen.stderr);
  assertMatch(gen.stdout, /^.{40}\n$/);
  assertEquals(
    (await readKeyPair(`${tmp.path}/.zmp/keys`, "calc"))?.publicKey,
    gen.stdout.trim(),
  );
  const cli = await zmp(tmp.path, ["keys", "gen", "@cli", "--keys", "k"]);
  assertEquals(cli.code, 0, cli.stderr);
  const list = await zmp(tmp.path, ["keys", "list"], { ZMP_KEYS: "k" });
  assertEquals(list.stdout, `@cli\t${cli.stdout.trim()}\tsecret\n`);
  const show = await zmp(tmp.path, ["keys", "show", "calc"]);
  assertEquals(show.stdout, gen.stdout);
  assert(!show.stdout.includes("secret"));
  const bad: [string[], number, RegExp][] = [
    [
      ["keys", "gen", "calc"],
      1,
      /^zmp keys: Cannot make a key for calc: .* exists/,
    ],
    [["keys", "show", "nope"], 1, /^zmp keys: no key for "nope" in /],
    [
      ["keys", "gen", "a b"],
      2,
      /^zmp keys: Cannot use key "a b": .*\(see zmp keys --help\)$/,
    ],
    [["keys", "rotate"], 2, /^zmp keys: unknown action "rotate"/],
    [["keys", "list", "x"], 2, /^zmp keys: list takes no argument/],
  ];
  for (const [args, code, re] of bad) {
    const r = await zmp(tmp.path, args);
    assertEquals(r.code, code, `${args.join(" ")}: ${r.stderr}`);
    assertEquals(r.stdout, "");
    assertEquals(r.stderr.split("\n").length, 2, r.stderr);
    assertMatch(r.stderr.trim(), re);
  }
});
