/**
 * Node metrics watch unary calls instead of wrapping them (`UnaryWatch`):
 * the server tells them of a call's end from the path that answers it.
 * These tests pin what that must keep — every call counted by outcome,
 * thrown or rejected, by the handler or by another interceptor — and what
 * it is for: no promise and no turn added to a call. Server and client in
 * one process, over tcp.
 */

import { assert, assertEquals, assertRejects } from "../_assert.ts";
import {
  RpcClient,
  RpcError,
  RpcServer,
  type ServerInterceptor,
} from "../../mod.ts";
import type { MethodMetrics } from "../../src/observe/metrics.ts";
import { NodeObserver } from "../../src/observe/node_observer.ts";
import { passedMetadata } from "../../src/observe/trace.ts";
import type {
  ServerCall,
  UnaryWatch,
  WatchedCall,
} from "../../src/rpc/interceptors.ts";
import { Calculator } from "../rpc/fixtures/services.ts";
import {
  calculatorImpl,
  observations,
} from "../rpc/fixtures/calculator_impl.ts";

const M = Calculator.methods;
const quiet = { warn() {}, error() {} };

function observer(): NodeObserver {
  const o = new NodeObserver("watched");
  o.metrics.close(); // its loop-lag timer plays no part here
  return o;
}

function methods(o: NodeObserver): Record<string, MethodMetrics> {
  return Object.fromEntries(
    o.metrics.snapshot().methods.map((m) => [m.method, m]),
  );
}

Deno.test("NodeObserver.serverInterceptor counts each unary call by outcome: a value or a throw at once, a rejection later, another interceptor's throw or rejection", async () => {
  const o = observer();
  // After the node's interceptor: refuses some calls, at once or later.
  const gate: ServerInterceptor = {
    unary(call, next) {
      if (call.args[0] === 13) {
        throw new RpcError("PERMISSION_DENIED", "13 is not allowed");
      }
      if (call.args[0] === 7) {
        return Promise.reject(new RpcError("FAILED_PRECONDITION", "not 7"));
      }
      return next();
    },
  };
  await using server = new RpcServer({
    interceptors: [o.serverInterceptor, gate],
    logger: quiet,
  });
  server.register(Calculator, calculatorImpl(observations()));
  await using client = new RpcClient({
    endpoints: [server.bind("tcp://127.0.0.1:*")],
  });

  for (let i = 0; i < 5; i++) {
    assertEquals(await client.call(Calculator, M.add, [i, 1]), i + 1);
  }
  const denied = await assertRejects(
    () => client.call(Calculator, M.add, [13, 1]),
    RpcError,
    "13 is not allowed",
  );
  assertEquals(denied.code, "PERMISSION_DENIED");
  const refused = await assertRejects(
    () => client.call(Calculator, M.add, [7, 1]),
    RpcError,
    "not 7",
  );
  assertEquals(refused.code, "FAILED_PRECONDITION");
  // The handler throws at once: an RpcError, then anything else.
  const zero = await assertRejects(
    () => client.call(Calculator, M.divide, [1, 0]),
    RpcError,
    "Division by zero",
  );
  assertEquals(zero.code, "OUT_OF_RANGE");
  const crashed = await assertRejects(
    () => client.call(Calculator, M.crash, ["boom"]),
    RpcError,
  );
  assertEquals(crashed.code, "INTERNAL");
  // An async handler: its value, then its rejection (the deadline aborts
  // it).
  assertEquals(await client.call(Calculator, M.sleep, [1, "a"]), 1);
  const late = await assertRejects(
    () => client.call(Calculator, M.sleep, [5000, "b"], { timeout: 50 }),
    RpcError,
  );
  assertEquals(late.code, "DEADLINE_EXCEEDED");
  // The aborted handler settles after the client has its answer.
  const deadline = Date.now() + 5000;
  while (methods(o).sleep.inFlight > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 5));
  }

  const m = methods(o);
  assertEquals(m.add.calls, 7);
  assertEquals(m.add.errors, { PERMISSION_DENIED: 1, FAILED_PRECONDITION: 1 });
  assertEquals(m.add.inFlight, 0);
  assertEquals(m.add.latency.count, 7, "every call timed, refused or not");
  assertEquals(m.divide.errors, { OUT_OF_RANGE: 1 });
  assertEquals(m.crash.errors, { INTERNAL: 1 });
  assertEquals(m.sleep.calls, 2);
  assertEquals(m.sleep.inFlight, 0);
  assertEquals(m.sleep.errors, { DEADLINE_EXCEEDED: 1 });
  assertEquals(m.sleep.latency.count, 2);
});

Deno.test("NodeObserver.serverInterceptor: a handler that answers at once is counted before any microtask it queued runs (no turn added)", async () => {
  const o = observer();
  const seen: number[] = [];
  await using server = new RpcServer({
    interceptors: [o.serverInterceptor],
    logger: quiet,
  });
  server.register(Calculator, {
    ...calculatorImpl(observations()),
    add: (a: number, b: number) => {
      // Runs after the current microtask: by then the call must be over.
      queueMicrotask(() => seen.push(methods(o).add.inFlight));
      return a + b;
    },
  });
  await using client = new RpcClient({
    endpoints: [server.bind("tcp://127.0.0.1:*")],
  });
  for (let i = 0; i < 3; i++) {
    assertEquals(await client.call(Calculator, M.add, [i, 1]), i + 1);
  }
  assertEquals(seen, [0, 0, 0]);
  assertEquals(methods(o).add.latency.count, 3);
});

Deno.test("NodeObserver.serverInterceptor.watch runs a call that answers at once without a promise, and passes a traceparent on", () => {
  const o = observer();
  const watch = o.serverInterceptor.watch!;
  const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  const call = (metadata: Record<string, string>): WatchedCall => ({
    service: Calculator,
    method: M.add,
    args: [1, 2],
    context: {
      signal: new AbortController().signal,
      metadata,
      peer: "00",
      service: Calculator.name,
      method: M.add.name,
    },
    failed: false,
    outcome: undefined,
  });

  const plain = call({});
  const token = watch.start(plain);
  const value = watch.run!(plain, () => 3);
  assertEquals(value, 3, "the value itself, not a promise of it");
  plain.outcome = value;
  watch.end(plain, token);

  const traced = call({ traceparent });
  const t = watch.start(traced);
  // What a call made by the handler would send along.
  const sent = watch.run!(traced, () => passedMetadata(undefined));
  assertEquals(sent, { traceparent });
  traced.failed = true;
  traced.outcome = new RpcError("NOT_FOUND", "gone");
  watch.end(traced, t);

  const add = methods(o).add;
  assertEquals(add.calls, 2);
  assertEquals(add.inFlight, 0);
  assertEquals(add.errors, { NOT_FOUND: 1 });
  assertEquals(add.latency.count, 2);
});

Deno.test("RpcServer runs the watches of several interceptors: start and run outermost first, end innermost first, outside every unary hook", async () => {
  const seen: string[] = [];
  const watching = (name: string): ServerInterceptor => {
    const watch: UnaryWatch<string> = {
      start(call) {
        seen.push(`${name} start ${call.method.name}`);
        return name;
      },
      run(call, invoke: (call: ServerCall) => unknown) {
        seen.push(`${name} run`);
        return invoke(call);
      },
      end(call, token) {
        seen.push(
          `${token} end ${
            call.failed ? (call.outcome as RpcError).code : call.outcome
          }`,
        );
      },
    };
    return { watch: watch as UnaryWatch };
  };
  const hook: ServerInterceptor = {
    async unary(_call, next) {
      seen.push("hook");
      return await next();
    },
  };
  await using server = new RpcServer({
    interceptors: [hook, watching("a"), watching("b")],
    logger: quiet,
  });
  server.register(Calculator, calculatorImpl(observations()));
  await using client = new RpcClient({
    endpoints: [server.bind("tcp://127.0.0.1:*")],
  });
  assertEquals(await client.call(Calculator, M.add, [1, 2]), 3);
  assertEquals(seen, [
    "a start add",
    "b start add",
    "a run",
    "b run",
    "hook",
    "b end 3",
    "a end 3",
  ]);
  seen.length = 0;
  await assertRejects(() => client.call(Calculator, M.divide, [1, 0]));
  assert(seen.includes("a end OUT_OF_RANGE"), seen.join(", "));
});
