/**
 * Public keys alone in a key directory (`<name>.pub`), so that a host holds
 * the key pairs of its own nodes only: export, import, the refusals, the
 * file modes, and `zmp keys export|import|list` through real processes run
 * from a folder outside the checkout.
 */

import {
  assert,
  assertEquals,
  assertMatch,
  assertRejects,
  assertStringIncludes,
} from "../_assert.ts";
import {
  ensureKeyPair,
  generateKeyPair,
  KeyStoreError,
  listKeys,
  readKeyPair,
  readPublicKey,
} from "../../src/launch/keys.ts";
import {
  exportPublicKeys,
  importPublicKeys,
  parsePublicKeys,
  readPublicKeysFrom,
} from "../../src/launch/key_exchange.ts";
import { cliKeys } from "../../src/cli/_common.ts";
import { CLI, outsideFolder, run } from "../project/_project.ts";

function zmp(cwd: string, args: string[], env: Record<string, string> = {}) {
  return run(Deno.execPath(), ["run", "-A", CLI, ...args], {
    cwd,
    env,
    timeout: 60000,
  });
}

async function mode(path: string): Promise<number> {
  return (await Deno.stat(path)).mode! & 0o777;
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

Deno.test("export then import: the other directory gets <name>.pub (0644, no secret), list tells which keys have secrets", async () => {
  await using tmp = await outsideFolder();
  const a = `${tmp.path}/a`;
  const b = `${tmp.path}/b`;
  const calc = await ensureKeyPair(a, "ns/calc");
  const ui = await ensureKeyPair(b, "ui");
  const exported = await exportPublicKeys(a, ["ns/calc"]);
  assertEquals(exported, [{ name: "ns/calc", publicKey: calc.publicKey }]);
  assertEquals(await importPublicKeys(b, exported), [
    { name: "ns/calc", publicKey: calc.publicKey, result: "added" },
  ]);
  const pub = `${b}/ns%2Fcalc.pub`;
  assertEquals(await mode(pub), 0o644);
  const text = await Deno.readTextFile(pub);
  assert(!text.includes(calc.secretKey) && !text.includes("secret"), text);
  assertEquals(JSON.parse(text), {
    name: "ns/calc",
    publicKey: calc.publicKey,
  });
  assertEquals(await readKeyPair(b, "ns/calc"), undefined);
  assertEquals(await readPublicKey(b, "ns/calc"), {
    name: "ns/calc",
    publicKey: calc.publicKey,
    secret: false,
  });
  assertEquals(await listKeys(b), [
    { name: "ns/calc", publicKey: calc.publicKey, secret: false },
    { name: "ui", publicKey: ui.publicKey, secret: true },
  ]);
  // Importing again changes nothing; a public key is exported onward.
  assertEquals(
    (await importPublicKeys(b, exported)).map((r) => r.result),
    ["unchanged"],
  );
  assertEquals(await exportPublicKeys(b, ["ns/calc", "ui"]), [
    { name: "ns/calc", publicKey: calc.publicKey },
    { name: "ui", publicKey: ui.publicKey },
  ]);
  // The key pair's own directory: importing its public key adds no file.
  assertEquals(
    (await importPublicKeys(a, exported)).map((r) => r.result),
    ["unchanged"],
  );
  assert(!await exists(`${a}/ns%2Fcalc.pub`));
  await assertRejects(
    () => exportPublicKeys(b, ["nope"]),
    KeyStoreError,
    `Cannot export the key of nope: there is no key for "nope" in ${b}`,
  );
});

Deno.test("a public key alone is never turned into a key pair: ensureKeyPair refuses, gen needs --replace (which removes the .pub)", async () => {
  await using tmp = await outsideFolder();
  const a = `${tmp.path}/a`;
  const b = `${tmp.path}/b`;
  await importPublicKeys(b, await exportPublicKeys(a, [])); // nothing
  const calc = await ensureKeyPair(a, "calc");
  await importPublicKeys(b, await exportPublicKeys(a, ["calc"]));
  await assertRejects(
    () => ensureKeyPair(b, "calc"),
    KeyStoreError,
    `${b} holds only its public key (${b}/calc.pub)`,
  );
  await assertRejects(
    () => generateKeyPair(b, "calc"),
    KeyStoreError,
    `Cannot make a key for calc: ${b}/calc.pub exists (rotate it with --replace)`,
  );
  const made = await generateKeyPair(b, "calc", { replace: true });
  assert(made.publicKey !== calc.publicKey);
  assert(!await exists(`${b}/calc.pub`));
  assertEquals(await readPublicKey(b, "calc"), {
    name: "calc",
    publicKey: made.publicKey,
    secret: true,
  });
});

Deno.test("importPublicKeys refuses a different key unless replace, all or nothing; --replace removes the secret key here", async () => {
  await using tmp = await outsideFolder();
  const a = `${tmp.path}/a`;
  const b = `${tmp.path}/b`;
  await ensureKeyPair(a, "calc");
  await ensureKeyPair(a, "ui");
  const mine = await ensureKeyPair(b, "calc"); // another calc key
  const entries = await exportPublicKeys(a, ["ui", "calc"]);
  await assertRejects(
    () => importPublicKeys(b, entries),
    KeyStoreError,
    `Cannot import the key of calc: ${b} holds another key for it (${mine.publicKey}, with its secret key); replace it with --replace`,
  );
  assert(!await exists(`${b}/ui.pub`), "nothing imported");
  await assertRejects(
    () =>
      importPublicKeys(b, [entries[0], { ...entries[0], name: "ui" }, {
        name: "ui",
        publicKey: entries[1].publicKey,
      }]),
    KeyStoreError,
    "Cannot import the key of ui: two different keys are given for it",
  );
  assertEquals(
    (await importPublicKeys(b, entries, { replace: true })).map((r) =>
      r.result
    ),
    ["added", "replaced"],
  );
  assertEquals(await readKeyPair(b, "calc"), undefined);
  assertEquals(
    (await readPublicKey(b, "calc"))?.publicKey,
    entries[1].publicKey,
  );
  // A .pub that another one replaces.
  await ensureKeyPair(`${tmp.path}/c`, "ui");
  const other = await exportPublicKeys(`${tmp.path}/c`, ["ui"]);
  await assertRejects(
    () => importPublicKeys(b, other),
    KeyStoreError,
    `holds another key for it (${
      entries[0].publicKey
    }); replace it with --replace`,
  );
  await importPublicKeys(b, other, { replace: true });
  assertEquals((await readPublicKey(b, "ui"))?.publicKey, other[0].publicKey);
});

Deno.test("public entries: bad input is refused naming the file and line; a .pub others may write, or one that disagrees with the .key, is refused", async () => {
  await using tmp = await outsideFolder();
  const dir = `${tmp.path}/keys`;
  const pair = await ensureKeyPair(dir, "calc");
  const line = JSON.stringify({ name: "calc", publicKey: pair.publicKey });
  const bad: [string, string][] = [
    ["", "Cannot import f: it holds no public key"],
    ["{", "Cannot import f: "],
    [
      JSON.stringify(pair),
      "Cannot import f: it holds a secret key: import public keys only (zmp keys export)",
    ],
    [
      `${line}\n${JSON.stringify({ name: "a b", publicKey: pair.publicKey })}`,
      'Cannot import f line 2: expected a key name, got "a b"',
    ],
    [
      JSON.stringify({ name: "calc", publicKey: "short" }),
      "expected 40 Z85 characters",
    ],
    [
      JSON.stringify({ name: "calc", publicKey: pair.publicKey, x: 1 }),
      'unknown field "x"',
    ],
    ["[]", 'expected a JSON object {"name", "publicKey"}'],
  ];
  for (const [text, message] of bad) {
    const e = await assertRejects(
      async () => await parsePublicKeys(text, "f"),
      KeyStoreError,
    );
    assertStringIncludes(e.message, message);
  }
  // A directory: every .pub, each holding its own name.
  const from = `${tmp.path}/from`;
  await Deno.mkdir(from);
  await assertRejects(
    () => readPublicKeysFrom(from),
    KeyStoreError,
    `Cannot import ${from}: the directory has no .pub file`,
  );
  await Deno.writeTextFile(`${from}/ui.pub`, line);
  await assertRejects(
    () => readPublicKeysFrom(from),
    KeyStoreError,
    `Cannot import ${from}/ui.pub: expected the one key of "ui"`,
  );
  await Deno.rename(`${from}/ui.pub`, `${from}/calc.pub`);
  assertEquals(await readPublicKeysFrom(from), [
    { name: "calc", publicKey: pair.publicKey },
  ]);
  await assertRejects(
    () => readPublicKeysFrom(`${tmp.path}/none`),
    KeyStoreError,
    `Cannot import ${tmp.path}/none: `,
  );
  // In the key directory: a .pub others may write lets them swap the key.
  const other = `${tmp.path}/other`;
  const ui = await ensureKeyPair(other, "ui");
  await importPublicKeys(dir, await exportPublicKeys(other, ["ui"]));
  await Deno.chmod(`${dir}/ui.pub`, 0o666);
  await assertRejects(
    () => readPublicKey(dir, "ui"),
    KeyStoreError,
    `Cannot use public key file ${dir}/ui.pub: other users may change it (mode 666); make it 0644`,
  );
  await Deno.chmod(`${dir}/ui.pub`, 0o644);
  assertEquals((await readPublicKey(dir, "ui"))?.publicKey, ui.publicKey);
  await Deno.writeTextFile(
    `${dir}/calc.pub`,
    JSON.stringify({ name: "calc", publicKey: ui.publicKey }),
  );
  await assertRejects(
    () => readPublicKey(dir, "calc"),
    KeyStoreError,
    "hold different public keys; remove the wrong one",
  );
  await Deno.writeTextFile(
    `${dir}/calc.pub`,
    JSON.stringify({ name: "ui", publicKey: ui.publicKey }),
  );
  await assertRejects(
    () => readPublicKey(dir, "calc"),
    KeyStoreError,
    'it holds the key of "ui"',
  );
});

Deno.test("zmp keys export|import|list: public keys from one host's directory to another's, refusals one line", async () => {
  await using tmp = await outsideFolder();
  const gen = await zmp(tmp.path, ["keys", "gen", "calc", "--keys", "a"]);
  assertEquals(gen.code, 0, gen.stderr);
  const key = gen.stdout.trim();
  // To standard output: one JSON line per key, no secret.
  const out = await zmp(tmp.path, ["keys", "export", "calc", "--keys", "a"]);
  assertEquals(out.code, 0, out.stderr);
  assertEquals(
    out.stdout,
    JSON.stringify({ name: "calc", publicKey: key }) + "\n",
  );
  await Deno.writeTextFile(`${tmp.path}/a.pub`, out.stdout);
  const imported = await zmp(tmp.path, ["keys", "import", "a.pub"], {
    ZMP_KEYS: "b",
  });
  assertEquals(imported.code, 0, imported.stderr);
  assertEquals(imported.stdout, `calc\t${key}\tadded\n`);
  assertEquals(await mode(`${tmp.path}/b/calc.pub`), 0o644);
  const mine = await zmp(tmp.path, ["keys", "gen", "ui", "--keys", "b"]);
  const list = await zmp(tmp.path, ["keys", "list", "--keys", "b"]);
  assertEquals(
    list.stdout,
    `calc\t${key}\tpublic\nui\t${mine.stdout.trim()}\tsecret\n`,
  );
  const show = await zmp(tmp.path, ["keys", "show", "calc", "--keys", "b"]);
  assertEquals(show.stdout, `${key}\n`);
  // Into a directory of .pub files (--out), then imported as a directory.
  const toDir = await zmp(tmp.path, [
    "keys",
    "export",
    "ui",
    "calc",
    "--keys",
    "b",
    "--out",
    "pubs",
  ]);
  assertEquals(toDir.code, 0, toDir.stderr);
  const fromDir = await zmp(tmp.path, [
    "keys",
    "import",
    "pubs",
    "--keys",
    "c",
  ]);
  assertEquals(fromDir.code, 0, fromDir.stderr);
  assertEquals(
    fromDir.stdout,
    `calc\t${key}\tadded\nui\t${mine.stdout.trim()}\tadded\n`,
  );
  // From standard input.
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, "keys", "import", "-", "--keys", "d"],
    cwd: tmp.path,
    env: { NO_COLOR: "1" },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(out.stdout));
  await writer.close();
  const piped = await child.output();
  assertEquals(new TextDecoder().decode(piped.stderr), "");
  assertEquals(new TextDecoder().decode(piped.stdout), `calc\t${key}\tadded\n`);

  // Refusals: one line each, 2 for usage, 1 for the rest.
  await zmp(tmp.path, ["keys", "gen", "calc", "--keys", "e"]);
  await Deno.writeTextFile(
    `${tmp.path}/secret.key`,
    await Deno.readTextFile(`${tmp.path}/a/calc.key`),
  );
  const bad: [string[], number, RegExp][] = [
    [
      ["keys", "import", "a.pub", "--keys", "e"],
      1,
      /^zmp keys: Cannot import the key of calc: e holds another key for it \(.{40}, with its secret key\); replace it with --replace$/,
    ],
    [
      ["keys", "import", "secret.key", "--keys", "e"],
      1,
      /^zmp keys: Cannot import secret.key: it holds a secret key: import public keys only \(zmp keys export\)$/,
    ],
    [
      ["keys", "export", "nope", "--keys", "a"],
      1,
      /^zmp keys: Cannot export the key of nope: there is no key for "nope" in a$/,
    ],
    [
      ["keys", "import", "missing.pub"],
      1,
      /^zmp keys: Cannot import missing.pub: /,
    ],
    [["keys", "export"], 2, /^zmp keys: export takes one key name or more/],
    [
      ["keys", "import"],
      2,
      /^zmp keys: import takes one file, directory, or -/,
    ],
    [["keys", "export", "a b"], 2, /^zmp keys: Cannot use key "a b": /],
    [
      ["keys", "list", "--out", "x"],
      2,
      /^zmp keys: --out goes with export only/,
    ],
    [
      ["keys", "show", "x", "--replace"],
      2,
      /^zmp keys: --replace goes with gen, import/,
    ],
  ];
  for (const [args, code, re] of bad) {
    const r = await zmp(tmp.path, args);
    assertEquals(r.code, code, `${args.join(" ")}: ${r.stderr}`);
    assertEquals(r.stdout, "");
    assertEquals(r.stderr.split("\n").length, 2, r.stderr);
    assertMatch(r.stderr.trim(), re);
  }
  // --replace: the public key wins, and e's secret key of calc is gone.
  const replaced = await zmp(tmp.path, [
    "keys",
    "import",
    "a.pub",
    "--keys",
    "e",
    "--replace",
  ]);
  assertEquals(replaced.stdout, `calc\t${key}\treplaced\n`, replaced.stderr);
  assert(!await exists(`${tmp.path}/e/calc.key`));
  const help = await zmp(tmp.path, ["keys", "--help"]);
  assertStringIncludes(help.stdout, "import <FILE|DIR|->");
});

Deno.test("the tools take the registry's public key from a @registry.pub as well (a machine that runs only tools needs no registry secret)", async () => {
  await using tmp = await outsideFolder();
  const launch = `${tmp.path}/launch`;
  const tools = `${tmp.path}/tools`;
  const registry = await ensureKeyPair(launch, "@registry");
  const cli = await ensureKeyPair(tools, "@cli");
  await importPublicKeys(
    tools,
    await exportPublicKeys(launch, ["@registry"]),
  );
  assertEquals(await cliKeys({ keys: tools }), {
    publicKey: cli.publicKey,
    secretKey: cli.secretKey,
    registryKey: registry.publicKey,
    toolKey: cli.publicKey,
  });
});
