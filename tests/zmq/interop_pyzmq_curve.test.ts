/**
 * Runs the pyzmq CURVE client listed in docs/PROTOCOL.md §15 against zmp
 * CURVE servers on both engines: a key on the server's allow-list gets its
 * echo, another gets nothing and the server's monitor reports the refusal.
 * Skipped when no Python with pyzmq is found (`.ci/run` installs Debian's
 * python3-zmq).
 */

import { assert, assertEquals } from "../_assert.ts";
import { findPython } from "../_python.ts";
import {
  Context,
  curveKeypair,
  type EngineName,
  Router,
} from "../../src/zmq/mod.ts";
import { nextEventOf } from "./_helpers.ts";

const PYTHON = await findPython();
const DOC = new URL("../../docs/PROTOCOL.md", import.meta.url);

async function listing(): Promise<string> {
  const doc = await Deno.readTextFile(DOC);
  const section = doc.slice(doc.indexOf("## 15. CURVE"));
  const code = /```python\n([\s\S]*?)```/.exec(section)?.[1];
  if (code === undefined) throw new Error("no Python listing in §15");
  return code;
}

for (const engine of ["zmtp", "libzmq"] as EngineName[]) {
  Deno.test({
    name:
      `docs/PROTOCOL.md §15 pyzmq CURVE client is served when allowed and refused when not [${engine}]`,
    ignore: PYTHON === undefined,
    async fn() {
      const code = await listing();
      const server = await curveKeypair();
      const friend = await curveKeypair();
      const stranger = await curveKeypair();
      await using ctx = new Context({ engine });
      await using router = new Router({
        context: ctx,
        curveServer: true,
        curveSecretKey: server.secretKey,
        authenticate: ({ publicKey }) => publicKey === friend.publicKey,
      });
      await using monitor = router.monitor([
        "handshakeSucceeded",
        "handshakeFailedAuth",
      ]);
      const endpoint = router.bind("tcp://127.0.0.1:*");
      const seen: string[] = [];
      const echo = (async () => {
        for await (const [id, ...body] of router) {
          seen.push(router.peerPublicKey(id) ?? "?");
          await router.send([id, "reply", ...body]);
        }
      })();
      const run = async (keys: { publicKey: string; secretKey: string }) => {
        const out = await new Deno.Command(PYTHON!, {
          args: [
            "-c",
            code,
            endpoint,
            server.publicKey,
            keys.publicKey,
            keys.secretKey,
          ],
          stdin: "null",
        }).output();
        const stderr = new TextDecoder().decode(out.stderr);
        assertEquals(out.code, 0, stderr);
        return new TextDecoder().decode(out.stdout).trim();
      };
      assertEquals(await run(friend), "reply hello over CURVE");
      assertEquals(seen, [friend.publicKey]);
      assertEquals(
        (await nextEventOf(monitor, ["handshakeSucceeded"])).event.type,
        "handshakeSucceeded",
      );
      assertEquals(await run(stranger), "no reply");
      const refused = await nextEventOf(monitor, ["handshakeFailedAuth"]);
      assertEquals(refused.event.value, 400);
      assertEquals(seen, [friend.publicKey], "the stranger got nothing in");
      router.close();
      await echo;
      assert(seen.length === 1);
    },
  });
}
