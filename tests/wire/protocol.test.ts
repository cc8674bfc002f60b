import {
  assert,
  assertEquals,
  assertStringIncludes,
  assertThrows,
} from "../_assert.ts";
import { STATUS } from "../../mod.ts";
import {
  checkFrameCount,
  decodeErrorBody,
  decodeHeader,
  decodeMetadata,
  decodeMethodName,
  encodeCreditHeader,
  encodeErrorBody,
  encodeErrorHeader,
  encodeHeader,
  encodeMetadata,
  encodeMethodName,
  encodeRequestHeader,
  KIND,
  PROTOCOL_VERSION,
  ProtocolError,
} from "../../src/wire/mod.ts";

const hex = (b: Uint8Array) =>
  Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(" ");

Deno.test("encodeRequestHeader() writes the documented bytes", () => {
  // The worked example of docs/PROTOCOL.md.
  const h = encodeRequestHeader({
    requestId: 7,
    codec: 1,
    deadline: 250,
  });
  assertEquals(hex(h), "01 01 01 00 00 00 00 07 00 00 00 fa 00 00 00 00");
  const s = encodeRequestHeader({
    requestId: 0x01020304,
    codec: 2,
    stream: true,
    credit: 32,
  });
  assertEquals(hex(s), "01 01 02 01 01 02 03 04 00 00 00 00 00 00 00 20");
});

Deno.test("encodeMethodName() and the worked example's frames match the doc", () => {
  assertEquals(
    hex(encodeMethodName("Calculator", "add")),
    "43 61 6c 63 75 6c 61 74 6f 72 2e 61 64 64",
  );
  assertEquals(
    hex(encodeHeader(KIND.RESPONSE, 7, 1)),
    "01 02 01 00 00 00 00 07",
  );
  assertEquals(
    hex(encodeErrorHeader(7, STATUS.INVALID_ARGUMENT)),
    "01 03 00 00 00 00 00 07 00 00 00 03",
  );
  assertEquals(
    hex(encodeCreditHeader(9, 16)),
    "01 07 00 00 00 00 00 09 00 00 00 10",
  );
});

Deno.test("decodeHeader() round-trips every kind", () => {
  const r = decodeHeader(
    encodeRequestHeader({
      requestId: 42,
      codec: 2,
      stream: true,
      deadline: 9,
      credit: 5,
    }),
  );
  assertEquals(r, {
    kind: "REQUEST",
    requestId: 42,
    codec: 2,
    flags: 1,
    deadline: 9,
    credit: 5,
    status: 0,
  });
  assertEquals(decodeHeader(encodeErrorHeader(3, 14)).status, 14);
  assertEquals(decodeHeader(encodeCreditHeader(3, 7)).credit, 7);
  for (
    const kind of ["RESPONSE", "DATA", "END", "CANCEL", "PING", "PONG"] as const
  ) {
    const h = decodeHeader(encodeHeader(KIND[kind], 0xffffffff, 1));
    assertEquals(h.kind, kind);
    assertEquals(h.requestId, 0xffffffff);
  }
});

Deno.test("decodeHeader() rejects a short header with ProtocolError and no request id", () => {
  const e = assertThrows(
    () => decodeHeader(new Uint8Array([1, 1, 1])),
    ProtocolError,
    "Malformed header: 3 bytes, expected at least 8",
  );
  assert(e instanceof SyntaxError);
  assertEquals(e.code, "INVALID_ARGUMENT");
  assertEquals(e.requestId, 0);
});

Deno.test("decodeHeader() rejects another version with FAILED_PRECONDITION and keeps the id", () => {
  const h = encodeRequestHeader({ requestId: 77, codec: 1 });
  h[0] = 2;
  const e = assertThrows(
    () => decodeHeader(h),
    ProtocolError,
    `Unsupported protocol version 2: this peer speaks version ${PROTOCOL_VERSION}`,
  );
  assertEquals(e.code, "FAILED_PRECONDITION");
  assertEquals(e.requestId, 77);
  assertEquals(e.details, { supportedVersions: [1] });
});

Deno.test("decodeHeader() rejects unknown kinds, wrong sizes, id 0 and zero credit", () => {
  const unknown = encodeHeader(KIND.END, 5);
  unknown[1] = 42;
  assertEquals(
    assertThrows(
      () => decodeHeader(unknown),
      ProtocolError,
      "Unknown message kind 42",
    )
      .requestId,
    5,
  );
  const long = new Uint8Array(12);
  long.set(encodeHeader(KIND.END, 5));
  assertThrows(
    () => decodeHeader(long),
    ProtocolError,
    "Malformed END header: 12 bytes, expected 8",
  );
  assertThrows(
    () => decodeHeader(encodeRequestHeader({ requestId: 0, codec: 1 })),
    ProtocolError,
    "Malformed REQUEST header: request id 0",
  );
  assertThrows(
    () => decodeHeader(encodeCreditHeader(3, 0)),
    ProtocolError,
    "Malformed CREDIT: a credit of 0",
  );
});

Deno.test("checkFrameCount() enforces the frame counts of each kind", () => {
  checkFrameCount("REQUEST", 3, 1);
  checkFrameCount("REQUEST", 4, 1);
  const e = assertThrows(
    () => checkFrameCount("REQUEST", 2, 9),
    ProtocolError,
    "Malformed REQUEST: 2 frames, expected 3 or 4",
  );
  assertEquals(e.requestId, 9);
  assertThrows(
    () => checkFrameCount("CANCEL", 2, 9),
    ProtocolError,
    "Malformed CANCEL: 2 frames, expected 1",
  );
});

Deno.test("decodeMethodName() accepts Service.method and rejects malformed names", () => {
  assertEquals(
    decodeMethodName(encodeMethodName("Calc", "add"), 1),
    "Calc.add",
  );
  assertEquals(
    decodeMethodName(encodeMethodName("Ünï", "çødé"), 1),
    "Ünï.çødé",
  );
  assertThrows(
    () => decodeMethodName(new TextEncoder().encode("noDot"), 1),
    ProtocolError,
    'Malformed method name "noDot": expected "Service.method"',
  );
  assertThrows(
    () => decodeMethodName(new Uint8Array(0), 1),
    ProtocolError,
    "Malformed method name: 0 bytes, expected 1 to 255",
  );
  assertThrows(
    () => decodeMethodName(new Uint8Array([0x41, 0x2e, 0xff]), 1),
    ProtocolError,
    "Malformed method name: not UTF-8",
  );
});

Deno.test("encodeMetadata() and decodeMetadata() round-trip a JSON object of strings", () => {
  const m = { "trace-id": "abc", user: "ada" };
  assertEquals(decodeMetadata(encodeMetadata(m), 1), m);
  assertThrows(
    () => encodeMetadata({ n: 1 as unknown as string }),
    TypeError,
    'Cannot send metadata: the value of "n" is not a string',
  );
  const enc = new TextEncoder();
  assertThrows(
    () => decodeMetadata(enc.encode("[1]"), 4),
    ProtocolError,
    "Malformed metadata: not a JSON object",
  );
  assertThrows(
    () => decodeMetadata(enc.encode('{"a":1}'), 4),
    ProtocolError,
    'Malformed metadata: the value of "a" is not a string',
  );
  assertStringIncludes(
    assertThrows(() => decodeMetadata(enc.encode("{"), 4), ProtocolError)
      .message,
    "Malformed metadata:",
  );
});

Deno.test("encodeErrorBody() and decodeErrorBody() carry message and JSON details", () => {
  const frames = encodeErrorBody("boom", { issues: [{ path: "args[0]" }] });
  assertEquals(frames.length, 2);
  assertEquals(decodeErrorBody(frames[0], frames[1]), {
    message: "boom",
    details: { issues: [{ path: "args[0]" }] },
  });
  assertEquals(encodeErrorBody("plain").length, 1);
  assertEquals(
    decodeErrorBody(
      new TextEncoder().encode("m"),
      new TextEncoder().encode("{bad"),
    ),
    { message: "m" },
  );
});
