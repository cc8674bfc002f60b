/**
 * CURVE keys without libzmq: generation, the public key of a secret key,
 * Z85 both ways, and agreement with libzmq's own `zmq_curve_public`. The
 * CURVE exchanges themselves are in the transport suite
 * (`cases/curve.ts`), run on both engines and across them.
 */

import {
  assertEquals,
  assertMatch,
  assertNotEquals,
  assertRejects,
  assertThrows,
} from "../_assert.ts";
import {
  curveKeyBytes,
  curveKeypair,
  curveKeyText,
  curvePublic,
  libzmq,
} from "../../src/zmq/mod.ts";
import { fixture } from "./_helpers.ts";

const Z85 = /^[0-9a-zA-Z.\-:+=^!/*?&<>()[\]{}@%$#]{40}$/;

Deno.test("curveKeypair() returns fresh 40-character Z85 keys", async () => {
  const a = await curveKeypair();
  const b = await curveKeypair();
  for (const key of [a.publicKey, a.secretKey, b.publicKey, b.secretKey]) {
    assertEquals(key.length, 40);
    assertMatch(key, Z85);
  }
  assertNotEquals(a.publicKey, b.publicKey);
  assertNotEquals(a.secretKey, b.secretKey);
  assertNotEquals(a.publicKey, a.secretKey);
});

Deno.test("curveKeypair() needs no libzmq: it runs with no permission at all", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", fixture("curve_keys.ts")],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(new TextDecoder().decode(out.stderr), "");
  assertEquals(new TextDecoder().decode(out.stdout).trim(), "40 40");
  assertEquals(out.code, 0);
});

Deno.test("curvePublic() derives the public key, as libzmq's zmq_curve_public does", async () => {
  const pair = await curveKeypair();
  assertEquals(await curvePublic(pair.secretKey), pair.publicKey);
  assertEquals(
    await curvePublic(curveKeyBytes(pair.secretKey)),
    pair.publicKey,
  );
  const out = new Uint8Array(41);
  const secret = new TextEncoder().encode(pair.secretKey + "\0");
  assertEquals(libzmq().zmq.zmq_curve_public(out, secret), 0);
  assertEquals(new TextDecoder().decode(out.subarray(0, 40)), pair.publicKey);
});

Deno.test("curveKeyBytes() and curveKeyText() convert both ways, and refuse anything else with TypeError", async () => {
  const { publicKey } = await curveKeypair();
  const raw = curveKeyBytes(publicKey);
  assertEquals(raw.byteLength, 32);
  assertEquals(curveKeyText(raw), publicKey);
  assertThrows(
    () => curveKeyBytes("short"),
    TypeError,
    'Cannot use CURVE key in curveKeyBytes: expected 40 Z85 characters or 32 bytes, got "short"',
  );
  assertThrows(
    () => curveKeyBytes("~".repeat(40)),
    TypeError,
    "expected 40 Z85 characters or 32 bytes",
  );
  assertThrows(
    () => curveKeyBytes(new Uint8Array(31)),
    TypeError,
    "got Uint8Array(31)",
  );
  assertThrows(
    () => curveKeyText(new Uint8Array(33)),
    TypeError,
    "Cannot write CURVE key: expected 32 bytes",
  );
  await assertRejects(
    () => curvePublic("nope"),
    TypeError,
    "Cannot use CURVE key in curvePublic",
  );
});
