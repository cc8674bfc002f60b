/**
 * RpcServer registration and graceful close, with client and server in one
 * process.
 */

import {
  assert,
  assertEquals,
  assertRejects,
  assertThrows,
  waitFor,
} from "../_assert.ts";
import { NameError, RpcClient, RpcError, RpcServer } from "../../mod.ts";
import { Calculator, Notes } from "./fixtures/services.ts";
import { calculatorImpl, observations } from "./fixtures/calculator_impl.ts";

const M = Calculator.methods;
const quiet = { warn() {}, error() {} };

Deno.test("RpcServer.register() refuses incomplete implementations and duplicates", async () => {
  await using server = new RpcServer({ logger: quiet });
  assertThrows(
    () => server.register(Notes, { echo: (v: unknown) => v }),
    TypeError,
    'Cannot register Notes: the implementation has no method "add"',
  );
  server.register(Notes, {
    echo: (v: unknown) => v,
    add: (a: number, b: number) => a + b,
  });
  assertThrows(
    () => server.register(Notes, { echo: () => 1, add: () => 2 }),
    TypeError,
    "Cannot register Notes: it is already registered",
  );
});

Deno.test("RpcServer.register() refuses a service whose Service.method would not fit the 255-byte method frame, or a bad name, with NameError", async () => {
  await using server = new RpcServer({ logger: quiet });
  const impl = {
    echo: (v: unknown) => v,
    add: (a: number, b: number) => a + b,
  };
  // 251 + "." + "echo" = 256 bytes: no client could ever call it.
  const long = { ...Notes, name: "N".repeat(251) };
  const e = assertThrows(() => server.register(long, impl), NameError);
  assertEquals(e.field, "service name");
  assert(e instanceof TypeError);
  assertEquals(
    e.message,
    `Cannot register a service: a service name is 1 to 128 characters of A-Z a-z 0-9 _ . -, the first a letter or _, got service name "${
      "N".repeat(40)
    }…" (251 bytes)`,
  );
  const method = assertThrows(
    () =>
      server.register({
        ...Notes,
        methods: {
          ...Notes.methods,
          echo: { ...Notes.methods.echo, name: "a.b" },
        },
      }, { ...impl, "a.b": impl.echo }),
    NameError,
  );
  assertEquals(method.field, "method name of Notes");
  assertThrows(
    () => server.register({ ...Notes, name: "no space" }, impl),
    NameError,
  );
  // The longest service name that fits is served and callable.
  const longest = { ...Notes, name: "N".repeat(128) };
  server.register(longest, impl);
  const endpoint = server.bind("tcp://127.0.0.1:*");
  await using client = new RpcClient({ endpoints: [endpoint], retry: false });
  assertEquals(await client.call(longest, Notes.methods.add, [1, 2]), 3);
});

Deno.test("RpcServer.close() lets calls in flight finish and turns new ones away", async () => {
  const obs = observations();
  const server = new RpcServer({ logger: quiet });
  try {
    server.register(Calculator, calculatorImpl(obs));
    const endpoint = server.bind("tcp://127.0.0.1:*");
    await using client = new RpcClient({ endpoints: [endpoint], retry: false });
    const inFlight = client.call(Calculator, M.sleep, [150, "drain"]);
    await waitFor(
      () => obs.events.includes("drain:started"),
      "the call to start",
    );
    const closing = server.close({ drainTimeout: 5000 });
    const e = await assertRejects(
      () => client.call(Calculator, M.add, [1, 2]),
      RpcError,
      "The server is shutting down",
    );
    assertEquals(e.code, "UNAVAILABLE");
    assertEquals(await inFlight, 150);
    await closing;
    assertEquals(server.activeCalls, 0);
  } finally {
    await server.close();
  }
});

Deno.test("RpcServer.close() aborts calls still running after drainTimeout", async () => {
  const obs = observations();
  const server = new RpcServer({ logger: quiet });
  try {
    server.register(Calculator, calculatorImpl(obs));
    const endpoint = server.bind("tcp://127.0.0.1:*");
    await using client = new RpcClient({ endpoints: [endpoint], retry: false });
    const slow = client.call(Calculator, M.sleep, [60000, "stuck"]);
    await waitFor(
      () => obs.events.includes("stuck:started"),
      "the call to start",
    );
    const started = performance.now();
    const closing = server.close({ drainTimeout: 100 });
    const e = await assertRejects(
      () => slow,
      RpcError,
      "The server is shutting down",
    );
    assertEquals(e.code, "UNAVAILABLE");
    await closing;
    assert(performance.now() - started < 3000);
    await waitFor(
      () => obs.events.includes("stuck:aborted:UNAVAILABLE"),
      "the handler to see the abort",
    );
  } finally {
    await server.close();
  }
});
