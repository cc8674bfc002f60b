/**
 * Large CURVE messages are boxed by the system's libsodium through FFI
 * (`src/zmq/zmtp/_curve_native.ts`), small ones in WebAssembly: each side
 * opens what the other sealed, on both sides of the size where they meet,
 * and neither opens a tampered box. Without FFI permission, every box stays
 * in WebAssembly. (The CURVE suite runs the native boxes against libzmq's.)
 */

import { assert, assertEquals, assertThrows } from "../_assert.ts";
import { loadSodium, sodium } from "../../src/zmq/_sodium.ts";
import { MessageBox, NATIVE_FROM } from "../../src/zmq/zmtp/_curve_box.ts";
import { nativeSodium } from "../../src/zmq/zmtp/_curve_native.ts";

const enc = new TextEncoder();
const CLIENT = enc.encode("CurveZMQMESSAGEC");
const SERVER = enc.encode("CurveZMQMESSAGES");

/** Body sizes around the threshold (a box holds a flags byte more). */
const SIZES = [
  0,
  1,
  NATIVE_FROM - 2,
  NATIVE_FROM - 1,
  NATIVE_FROM,
  70_000,
  3 * 1024 * 1024,
];

async function pair(
  clientNative: boolean,
  serverNative: boolean,
): Promise<{ client: MessageBox; server: MessageBox }> {
  await loadSodium();
  const s = sodium();
  const a = s.crypto_box_keypair();
  const b = s.crypto_box_keypair();
  const key = s.crypto_box_beforenm(b.publicKey, a.privateKey);
  const lib = nativeSodium();
  return {
    client: new MessageBox(
      key,
      { out: CLIENT, in: SERVER },
      clientNative ? lib : undefined,
    ),
    server: new MessageBox(
      key,
      { out: SERVER, in: CLIENT },
      serverNative ? lib : undefined,
    ),
  };
}

function body(size: number): Uint8Array {
  return new Uint8Array(size).map((_, i) => (i * 31 + size) & 0xff);
}

Deno.test("the system's libsodium is used where FFI is allowed", () => {
  assert(
    nativeSodium() !== undefined,
    "libsodium.so.23 (a dependency of libzmq) did not load",
  );
});

Deno.test("the native key exchange and key pairs agree with WebAssembly's", async () => {
  await loadSodium();
  const s = sodium();
  const lib = nativeSodium()!;
  for (let i = 0; i < 8; i++) {
    const a = lib.keypair();
    assertEquals(s.crypto_scalarmult_base(a.privateKey), a.publicKey);
    const b = s.crypto_box_keypair();
    assertEquals(
      lib.beforenm(b.publicKey, a.privateKey),
      s.crypto_box_beforenm(b.publicKey, a.privateKey),
    );
  }
  // A point of small order gives an all-zero secret: refused, as by
  // libsodium-wrappers.
  const weak = new Uint8Array(32);
  const { privateKey } = lib.keypair();
  assertThrows(() => lib.beforenm(weak, privateKey), Error, "weak");
  assertThrows(() => s.crypto_box_beforenm(weak, privateKey));
  // Lengths are checked before C reads past what was given.
  assertThrows(
    () => lib.beforenm(new Uint8Array(31), privateKey),
    RangeError,
    "31 bytes",
  );
  const m = new Uint8Array(10);
  assertThrows(
    () => lib.open(m, new Uint8Array(26), new Uint8Array(23), privateKey),
    RangeError,
    "nonce",
  );
  assertThrows(
    () => lib.seal(new Uint8Array(25), m, new Uint8Array(24), privateKey),
    RangeError,
    "box",
  );
});

for (
  const [from, to] of [
    ["native", "wasm"],
    ["wasm", "native"],
    ["native", "native"],
    ["wasm", "wasm"],
  ] as const
) {
  Deno.test(`CURVE boxes sealed by ${from} open in ${to}, across sizes, at any offset`, async () => {
    const { client, server } = await pair(from === "native", to === "native");
    try {
      let counter = 1;
      for (const size of SIZES) {
        const sent = body(size);
        const sealed = client.seal(counter++, 1, sent);
        // A view into a larger buffer, as a read buffer hands it out.
        const inRead = new Uint8Array(sealed.byteLength + 5);
        inRead.set(sealed, 3);
        const message = inRead.subarray(3, 3 + sealed.byteLength);
        const opened = server.open(message);
        assert(opened !== undefined, `${size} B did not open`);
        assertEquals(opened.flags, 1);
        assertEquals(opened.body.byteLength, size);
        assertEquals(opened.body, sent);
      }
      // A flipped bit in the box, and a replayed nonce, do not open.
      const sealed = client.seal(counter++, 0, body(70_000)).slice();
      sealed[sealed.byteLength - 1] ^= 1;
      assertEquals(server.open(sealed), undefined);
      const small = client.seal(counter++, 0, body(10)).slice();
      small[20] ^= 1;
      assertEquals(server.open(small), undefined);
    } finally {
      client.close();
      server.close();
    }
  });
}

/** `_curve_native.ts`, for scripts run in a process of their own. */
const NATIVE_MODULE = new URL(
  "../../src/zmq/zmtp/_curve_native.ts",
  import.meta.url,
);

/**
 * Runs `script` in a process with the permissions in `flags` (never FFI),
 * and checks that it exits 0 having printed `expected`.
 */
async function assertRunsWithoutFfi(
  script: string,
  flags: string[],
  expected: string,
): Promise<void> {
  const file = await Deno.makeTempFile({ suffix: ".ts" });
  try {
    await Deno.writeTextFile(file, script);
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", ...flags, file],
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    const text = new TextDecoder().decode(out.stdout).trim();
    assertEquals(
      [out.code, text],
      [0, expected],
      new TextDecoder().decode(out.stderr),
    );
  } finally {
    await Deno.remove(file);
  }
}

Deno.test("without FFI permission, no native library is loaded and boxes stay in WebAssembly", async () => {
  const script = `import { nativeSodium } from ${
    JSON.stringify(NATIVE_MODULE.href)
  };
console.log(nativeSodium() === undefined ? "none" : "loaded");`;
  await assertRunsWithoutFfi(
    script,
    ["--no-config", "--allow-read", "--allow-env"],
    "none",
  );
});

Deno.test("without FFI permission, a CURVE handshake and a message go through in WebAssembly alone", async () => {
  const mod = new URL("../../src/zmq/mod.ts", import.meta.url);
  const config = new URL("../../deno.json", import.meta.url);
  // Transient key pairs, key exchanges and boxes all in WebAssembly: a key
  // pair whose halves did not match would fail the handshake.
  const script = `import { Context, curveKeypair, Dealer, Router } from ${
    JSON.stringify(mod.href)
  };
import { nativeSodium } from ${JSON.stringify(NATIVE_MODULE.href)};
const [server, client] = await Promise.all([curveKeypair(), curveKeypair()]);
await using context = new Context({ engine: "zmtp" });
const router = new Router({ context, curveServer: true,
  curvePublicKey: server.publicKey, curveSecretKey: server.secretKey });
const endpoint = router.bind("tcp://127.0.0.1:*");
const dealer = new Dealer({ context, curvePublicKey: client.publicKey,
  curveSecretKey: client.secretKey, curveServerKey: server.publicKey });
dealer.connect(endpoint);
await dealer.send(["hello"]);
const [id, body] = await router.receive({ timeout: 10_000 });
await router.send([id, body]);
const [back] = await dealer.receive({ timeout: 10_000 });
console.log(nativeSodium() === undefined ? "wasm" : "native",
  new TextDecoder().decode(back));
dealer.close();
router.close();`;
  await assertRunsWithoutFfi(
    script,
    [
      "--config",
      config.pathname,
      "--allow-read",
      "--allow-env",
      "--allow-net=127.0.0.1",
    ],
    "wasm hello",
  );
});
