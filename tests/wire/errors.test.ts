import { assert, assertEquals, assertThrows } from "../_assert.ts";
import { isStatusName, RpcError, STATUS, type StatusName } from "../../mod.ts";
import { statusName } from "../../src/wire/mod.ts";

Deno.test("STATUS numbers statuses as gRPC does", () => {
  assertEquals(STATUS.OK, 0);
  assertEquals(STATUS.CANCELLED, 1);
  assertEquals(STATUS.INVALID_ARGUMENT, 3);
  assertEquals(STATUS.DEADLINE_EXCEEDED, 4);
  assertEquals(STATUS.NOT_FOUND, 5);
  assertEquals(STATUS.RESOURCE_EXHAUSTED, 8);
  assertEquals(STATUS.UNIMPLEMENTED, 12);
  assertEquals(STATUS.INTERNAL, 13);
  assertEquals(STATUS.UNAVAILABLE, 14);
  assertEquals(STATUS.UNAUTHENTICATED, 16);
  for (const [name, n] of Object.entries(STATUS)) {
    assertEquals(statusName(n), name as StatusName);
  }
  assertEquals(statusName(99), "UNKNOWN");
  assert(isStatusName("NOT_FOUND"));
  assert(!isStatusName("nope"));
});

Deno.test("RpcError carries code, status, message and details", () => {
  const e = new RpcError("NOT_FOUND", "No such user", {
    details: { id: 7 },
  });
  assert(e instanceof Error);
  assertEquals(e.name, "RpcError");
  assertEquals(e.code, "NOT_FOUND");
  assertEquals(e.status, 5);
  assertEquals(e.message, "No such user");
  assertEquals(e.details, { id: 7 });
});

Deno.test("RpcError throws TypeError for a code outside the table", () => {
  assertThrows(
    () => new RpcError("NOPE" as StatusName, "x"),
    TypeError,
    'Cannot create RpcError: "NOPE" is not a status name',
  );
});

Deno.test("RpcError.fromWire() keeps an unknown status number under UNKNOWN", () => {
  const e = RpcError.fromWire(42, "odd", { a: 1 });
  assertEquals(e.code, "UNKNOWN");
  assertEquals(e.status, 42);
  assertEquals(e.details, { a: 1 });
  assertEquals(RpcError.fromWire(14, "down").code, "UNAVAILABLE");
});
