/**
 * Client and server interceptors, with client and server in one process.
 */

import { assertEquals, assertRejects } from "../_assert.ts";
import {
  type ClientInterceptor,
  RpcClient,
  RpcError,
  RpcServer,
  type ServerInterceptor,
} from "../../mod.ts";
import { runServerChain, type ServerCall } from "../../src/rpc/interceptors.ts";
import { Calculator } from "./fixtures/services.ts";
import { calculatorImpl, observations } from "./fixtures/calculator_impl.ts";

const M = Calculator.methods;
const quiet = { warn() {}, error() {} };

Deno.test("interceptors wrap unary and stream calls on both sides, in order", async () => {
  const seen: string[] = [];
  const auth: ServerInterceptor = {
    unary(call, next) {
      seen.push(`server auth ${call.method.name}`);
      if (call.context.metadata.token !== "secret") {
        throw new RpcError("UNAUTHENTICATED", "Missing token");
      }
      return next();
    },
    stream(call, next) {
      seen.push(`server auth stream ${call.method.name} ${call.args[0]}`);
      return next();
    },
  };
  const doubler: ServerInterceptor = {
    async unary(call, next) {
      const result = await next();
      return call.method.name === "add" ? (result as number) * 2 : result;
    },
  };
  await using server = new RpcServer({
    interceptors: [auth, doubler],
    logger: quiet,
  });
  server.register(Calculator, calculatorImpl(observations()));
  const endpoint = server.bind("tcp://127.0.0.1:*");

  const token: ClientInterceptor = {
    unary(call, next) {
      seen.push(`client ${call.method.name}`);
      call.options = {
        ...call.options,
        metadata: { ...call.options.metadata, token: "secret" },
      };
      return next(call);
    },
    stream(call, next) {
      call.options = { ...call.options, metadata: { token: "secret" } };
      return next(call);
    },
  };
  const timing: ClientInterceptor = {
    async unary(call, next) {
      try {
        return await next(call);
      } finally {
        seen.push(`client done ${call.method.name}`);
      }
    },
  };
  await using client = new RpcClient({
    endpoints: [endpoint],
    interceptors: [timing, token],
  });
  assertEquals(await client.call(Calculator, M.add, [1, 2]), 6);
  assertEquals(seen, ["client add", "server auth add", "client done add"]);

  const items: unknown[] = [];
  for await (const x of client.stream(Calculator, M.count, [2, "i"])) {
    items.push(x);
  }
  assertEquals(items, [{ i: 0 }, { i: 1 }]);
  assertEquals(seen.at(-1), "server auth stream count 2");

  await using bare = new RpcClient({ endpoints: [endpoint] });
  const e = await assertRejects(
    () => bare.call(Calculator, M.add, [1, 2]),
    RpcError,
    "Missing token",
  );
  assertEquals(e.code, "UNAUTHENTICATED");
});

Deno.test("runServerChain() calls the hooks of its kind outermost first, skipping interceptors without one", async () => {
  const seen: string[] = [];
  const hook = (name: string): ServerInterceptor => ({
    unary(_call, next) {
      seen.push(name);
      return next();
    },
  });
  const streamOnly: ServerInterceptor = { stream: (_call, next) => next() };
  const call = {
    service: Calculator,
    method: M.add,
    args: [1, 2],
    context: {} as ServerCall["context"],
  };
  for (
    const [chain, want] of [
      [[], []],
      [[streamOnly], []],
      [[hook("a")], ["a"]],
      [[streamOnly, hook("a"), streamOnly, hook("b")], ["a", "b"]],
      [[hook("a"), hook("b"), streamOnly], ["a", "b"]],
    ] as [ServerInterceptor[], string[]][]
  ) {
    seen.length = 0;
    const result = await runServerChain(chain, "unary", call, () => {
      seen.push("handler");
      return Promise.resolve(3);
    });
    assertEquals(result, 3);
    assertEquals(seen, [...want, "handler"]);
  }
});
