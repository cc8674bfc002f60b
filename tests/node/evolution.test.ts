/**
 * Interface evolution at run time: a client whose definition of a service
 * differs from the registered server's in a breaking way gets
 * `FAILED_PRECONDITION` naming the method and the change, before anything
 * is sent; compatible differences (a new optional parameter, a new method)
 * keep working. Both versions come from codegen, over a real registry and
 * real sockets.
 *
 * @module
 */

import { generate } from "../../codegen/mod.ts";
import {
  createNode,
  RpcError,
  type ServiceDescriptor,
  serviceFromSchema,
} from "../../mod.ts";
import { assertEquals, assertRejects } from "../_assert.ts";
import { tempProject } from "../codegen/_helpers.ts";
import { startTestRegistry } from "./_helpers.ts";

const quietLog = { debug() {}, info() {}, warn() {}, error() {} };

const V1 = `/** @service */
export interface Calc {
  add(a: number, b?: number): Promise<number>;
  neg(a: number): Promise<number>;
}
`;

/** The service descriptor codegen makes of a definition's text. */
async function calcOf(source: string): Promise<ServiceDescriptor> {
  await using p = await tempProject({ "calc.api.ts": source });
  const result = await generate({
    root: p.root,
    files: [`${p.root}/calc.api.ts`],
    runtime: { kind: "specifier", specifier: "zmp" },
  });
  assertEquals(result.errors.map((e) => e.message), []);
  const doc = result.outputs.find((o) => o.path.endsWith(".schema.json"))!;
  return serviceFromSchema(JSON.parse(doc.text), "Calc");
}

const impl = {
  add: (a: number, b?: number, c?: number) => a + (b ?? 0) + (c ?? 0),
  neg: (a: number) => -a,
  mul: (a: number, b: number) => a * b,
};

Deno.test("Node.client(): a server whose definition broke a method refuses calls of it with FAILED_PRECONDITION", async () => {
  const v1 = await calcOf(V1);
  const v2 = await calcOf(V1.replace("b?: number", "b: number"));
  await using registry = await startTestRegistry();
  const options = { registry: registry.endpoint, logger: quietLog };
  await using server = await createNode("calc-v2", options);
  await server.provide(v2, impl);
  await using caller = await createNode("caller-v1", options);
  const calc = await caller.client(v1) as unknown as Record<
    string,
    (...args: unknown[]) => Promise<unknown>
  >;
  const e = await assertRejects(
    () => calc.add(1, 2),
    RpcError,
    "Calc.add: parameter b is now required",
  );
  assertEquals(e.code, "FAILED_PRECONDITION");
  assertEquals(e.details, {
    changes: ["parameter b is now required"],
    node: "calc-v2",
  });
  // The other method did not change: it works.
  assertEquals(await calc.neg(3), -3);
});

Deno.test("Node.client(): compatible differences keep working (a new optional parameter, a new method)", async () => {
  const v1 = await calcOf(V1);
  const v3 = await calcOf(
    V1.replace("b?: number)", "b?: number, c?: number)")
      .replace("}\n", "  mul(a: number, b: number): Promise<number>;\n}\n"),
  );
  assertEquals(v1.hash === v3.hash, false);
  await using registry = await startTestRegistry();
  const options = { registry: registry.endpoint, logger: quietLog };
  await using server = await createNode("calc-v3", options);
  await server.provide(v3, impl);
  await using caller = await createNode("caller-v1", options);
  const calc = await caller.client(v1) as unknown as Record<
    string,
    (...args: unknown[]) => Promise<unknown>
  >;
  assertEquals(await calc.add(1, 2), 3);
  assertEquals(await calc.add(1), 1);
  assertEquals(await calc.neg(3), -3);
  // And a v3 client of the v3 server (same hash) calls the new method.
  const calc3 = await caller.client(v3) as unknown as Record<
    string,
    (...args: unknown[]) => Promise<unknown>
  >;
  assertEquals(await calc3.mul(2, 3), 6);
  assertEquals(await calc3.add(1, 2, 3), 6);
});
