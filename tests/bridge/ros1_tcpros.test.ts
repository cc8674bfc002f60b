/**
 * TCPROS services (src/bridge/ros1/tcpros_service.ts) against rospy: our
 * client calls rospy servers, rospy clients call our server, and the
 * protocol's failures (unknown service, md5 mismatch, a handler that
 * throws, a malformed header) are clear errors that leave the server
 * serving.
 */

import { RosMasterClient } from "@foxglove/ros1";
import {
  assertEquals,
  assertMatch,
  assertRejects,
  assertStringIncludes,
  assertThrows,
} from "../_assert.ts";
import {
  callRosService,
  RosServiceError,
  RosServiceServer,
  RosTypes,
} from "../../src/bridge/mod.ts";
import {
  decodeHeader,
  encodeHeader,
} from "../../src/bridge/ros1/tcpros_service.ts";
import { RosMaster } from "./_ros.ts";

const types = new RosTypes();
const setBool = types.service("std_srvs/SetBool");
const trigger = types.service("std_srvs/Trigger");

Deno.test("TCPROS headers: encoded and decoded; malformed ones are SyntaxErrors", () => {
  const bytes = encodeHeader({ callerid: "/a", md5sum: "*", message: "x=y" });
  assertEquals(new DataView(bytes.buffer).getUint32(0, true), bytes.length - 4);
  assertEquals(decodeHeader(bytes.subarray(4)), {
    callerid: "/a",
    md5sum: "*",
    message: "x=y",
  });
  assertThrows(
    () => decodeHeader(new Uint8Array([9, 0, 0, 0, 1])),
    SyntaxError,
    "overruns",
  );
  assertThrows(
    () => decodeHeader(new Uint8Array([2, 0, 0, 0, 0x61, 0x62])),
    SyntaxError,
    'field "ab" has no "="',
  );
});

Deno.test("callRosService: calls rospy services; failures are RosServiceErrors", async () => {
  await using master = await RosMaster.start();
  await using server = master.peer("server", "/enable");
  await server.line(/ready/);
  const options = {
    masterUri: master.uri,
    callerId: "/zmp_test",
    service: "/enable",
    type: setBool,
  };
  assertEquals(
    { ...(await callRosService({ data: true }, options)) as object },
    { success: false, message: "got True" },
  );
  assertEquals(
    { ...(await callRosService({ data: false }, options)) as object },
    { success: true, message: "got False" },
  );
  const unknown = await assertRejects(
    () => callRosService({}, { ...options, service: "/nobody" }),
    RosServiceError,
  );
  assertMatch(
    unknown.message,
    /^Cannot call ROS service \/nobody: the master says /,
  );
  const mismatch = await assertRejects(
    () => callRosService({}, { ...options, type: trigger }),
    RosServiceError,
  );
  assertMatch(
    mismatch.message,
    /^ROS service \/enable refused the connection: .*md5/i,
  );
  await assertRejects(
    () => callRosService({ data: true }, { ...options, timeout: 1 }),
    DOMException,
  );
});

Deno.test("RosServiceServer: serves rospy clients; a handler's error reaches them; bad peers do not stop it", async () => {
  await using master = await RosMaster.start();
  await using server = new RosServiceServer({ callerId: "/zmp_test" });
  let calls = 0;
  server.serve("/zmp/toggle", setBool, (request) => {
    calls++;
    const { data } = request as { data: boolean };
    if (!data) return Promise.reject(new Error("cannot turn off"));
    return Promise.resolve({ success: true, message: `call ${calls}` });
  });
  const masterClient = new RosMasterClient(master.uri);
  const [code] = await masterClient.registerService(
    "/zmp_test",
    "/zmp/toggle",
    server.uri,
    "http://127.0.0.1:9/",
  );
  assertEquals(code, 1);

  const on = await master.run("client", "/zmp/toggle", "true");
  assertEquals(JSON.parse(on.trim().split("\n").at(-1)!), {
    success: true,
    message: "call 1",
  });
  const off = await master.run("client", "/zmp/toggle", "false");
  assertStringIncludes(off, "cannot turn off");

  // A peer that sends garbage is dropped; a probe gets the header only.
  const port = Number(server.uri.split(":").at(-1));
  {
    using conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await conn.write(new Uint8Array([8, 0, 0, 0, 1, 2, 3]));
    conn.closeWrite();
    assertEquals(await conn.read(new Uint8Array(16)), null);
  }
  {
    using conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await conn.write(
      encodeHeader({
        callerid: "/probe",
        service: "/zmp/toggle",
        probe: "1",
        md5sum: "*",
      }),
    );
    const buf = new Uint8Array(4096);
    let n = 0;
    for (;;) {
      const got = await conn.read(buf.subarray(n));
      if (got === null) break;
      n += got;
    }
    const header = decodeHeader(buf.subarray(4, n));
    assertEquals(header.type, "std_srvs/SetBool");
    assertEquals(header.md5sum, setBool.md5);
  }
  // Still serving, also to our own client.
  const again = await callRosService({ data: true }, {
    masterUri: master.uri,
    callerId: "/zmp_test2",
    service: "/zmp/toggle",
    type: setBool,
  });
  assertEquals((again as { message: string }).message, "call 3");
  const refused = await assertRejects(
    () =>
      callRosService({}, {
        masterUri: master.uri,
        callerId: "/zmp_test2",
        service: "/zmp/toggle",
        type: trigger,
      }),
    RosServiceError,
  );
  assertStringIncludes(refused.message, "md5sum mismatch for /zmp/toggle");
  server.unserve("/zmp/toggle");
  await masterClient.unregisterService("/zmp_test", "/zmp/toggle", server.uri);
});
