/**
 * Runs the Python node listed in docs/PROTOCOL.md §14 against a real
 * registry, proving the document is enough to join a zmp system from
 * another language: the node registers, a zmp node finds it by name and
 * calls it (msgpack), `zmp call` checks arguments against the schemas it
 * registered and calls it (superjson), it registers again when the registry
 * restarts empty, and it unregisters on SIGTERM. Skipped when no Python with
 * pyzmq and msgpack is found (tests/_python.ts).
 */

import {
  assert,
  assertEquals,
  assertMatch,
  assertRejects,
  waitFor,
} from "../_assert.ts";
import { findPython } from "../_python.ts";
import { runZmp } from "../launch/_harness.ts";
import {
  connectRegistry,
  createNode,
  describe,
  type NodeInfo,
  type Registry,
  type RegistryEvent,
  type RegistryServer,
  RpcClient,
  rpcClientOf,
  RpcError,
  type ServiceDescriptor,
  type ServiceEntry,
  startRegistry,
  type Validator,
} from "../../mod.ts";

const DOC = new URL("../../docs/PROTOCOL.md", import.meta.url);
const PYTHON = await findPython();
const NAME = "py-echo-test";
const quiet = { warn() {}, error() {} };
const quietNode = { debug() {}, info() {}, ...quiet };

type MethodEntry = NonNullable<ServiceEntry["methods"]>[number];

/** What the listing registers for `py.Echo.echo`. */
const ECHO_ENTRY: MethodEntry = {
  name: "echo",
  kind: "unary",
  idempotent: true,
  params: ["text"],
  requiredParams: 1,
  args: {
    type: "array",
    prefixItems: [{ title: "text", type: "string" }],
    minItems: 1,
    maxItems: 1,
  },
  result: { type: "string" },
  doc: "Returns its argument.",
};

/** The Python service, as a zmp program would describe it. */
interface PyEcho {
  echo(text: string): Promise<string>;
}

const string: Validator = (v, path, issues) => {
  if (typeof v !== "string") {
    issues.push({ path, expected: "string", received: describe(v) });
  }
};

/**
 * `py.Echo`, written by hand. Clients do not validate arguments, so the
 * test can send what the Python side must refuse.
 */
const PyEchoService: ServiceDescriptor<PyEcho> = {
  name: "py.Echo",
  codec: "msgpack",
  source: "tests/registry/python_registry.test.ts",
  methods: {
    echo: {
      name: "echo",
      kind: "unary",
      idempotent: true,
      params: ["text"],
      requiredParams: 1,
      validateArgs: () => {},
      validateResult: string,
      argsSchema: ECHO_ENTRY.args,
      resultSchema: ECHO_ENTRY.result,
    },
  },
};

async function listing(): Promise<string> {
  const doc = await Deno.readTextFile(DOC);
  const section = doc.slice(doc.indexOf("## 14. The registry"));
  const code = /```python\n([\s\S]*?)```/.exec(section)?.[1];
  if (code === undefined) throw new Error("no Python listing in §14");
  return code;
}

async function waitForPyNode(
  registry: Registry,
  ok: (info: NodeInfo) => boolean,
  what: string,
): Promise<NodeInfo> {
  let found: NodeInfo | undefined;
  await waitFor(
    async () => {
      found = (await registry.nodes()).find((n) => n.name === NAME && ok(n));
      return found !== undefined;
    },
    what,
    { timeout: 15000, interval: 20 },
  );
  return found!;
}

/** Binds a new registry where the closed one was (the port frees quickly). */
async function restartRegistry(endpoint: string): Promise<RegistryServer> {
  let registry: RegistryServer | undefined;
  await waitFor(async () => {
    try {
      registry = await startRegistry({ endpoint, logger: quiet });
      return true;
    } catch {
      return false; // EADDRINUSE for a moment
    }
  }, `a new registry at ${endpoint}`);
  return registry!;
}

Deno.test({
  name:
    "docs/PROTOCOL.md Python node registers, is called by name, survives a registry restart and unregisters",
  ignore: PYTHON === undefined,
  async fn(t) {
    const file = await Deno.makeTempFile({ suffix: ".py" });
    let registry = await startRegistry({
      endpoint: "tcp://127.0.0.1:*",
      logger: quiet,
    });
    const endpoint = registry.endpoint;
    let child: Deno.ChildProcess | undefined;
    let output: Promise<Deno.CommandOutput> | undefined;
    try {
      await Deno.writeTextFile(file, await listing());
      child = new Deno.Command(PYTHON!, {
        args: [file, endpoint, NAME],
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      output = child.output();
      const client = await connectRegistry({ endpoint, logger: quiet });
      try {
        const info = await waitForPyNode(
          client,
          () => true,
          `node "${NAME}" to register`,
        );
        const service = info.services[0];

        await t.step("the registered NodeInfo is the listing's", () => {
          assertEquals(info.pid, child!.pid);
          assertEquals(info.mode, "subprocess");
          assertMatch(info.instanceId, /^[0-9a-f-]{36}$/);
          assert(info.host.length > 0, "a host name");
          assert(
            Math.abs(info.startedAt - Date.now()) < 60000,
            `startedAt ${info.startedAt} is now`,
          );
          assertEquals(info.services.length, 1);
          assertMatch(service.endpoint, /^tcp:\/\/127\.0\.0\.1:\d+$/);
          assertEquals(service, {
            name: "py.Echo",
            endpoint: service.endpoint,
            codec: "msgpack",
            methods: [ECHO_ENTRY],
            doc: "Echoes text, from Python.",
          });
          assertEquals(
            [info.publishes, info.subscribes, info.params],
            [[], [], []],
          );
          assertEquals(info.paramGroups, undefined);
        });

        await t.step(
          "when it cannot register, it exits with one line, no traceback",
          async () => {
            const run = async (registryEndpoint: string) => {
              const out = await new Deno.Command(PYTHON!, {
                args: [file, registryEndpoint, NAME],
                stdin: "null",
                stdout: "piped",
                stderr: "piped",
              }).output();
              const text = (b: Uint8Array) => new TextDecoder().decode(b);
              return {
                code: out.code,
                stdout: text(out.stdout),
                stderr: text(out.stderr),
              };
            };
            // The name is taken (ALREADY_EXISTS, status 6).
            const taken = await run(endpoint);
            assertEquals(taken.code, 1, taken.stderr);
            assertEquals(taken.stdout, "");
            assertMatch(
              taken.stderr,
              new RegExp(
                `^${NAME}: cannot register at ${endpoint}: \\[6\\] [^\n]*${NAME}[^\n]*\n$`,
              ),
            );
            // No registry answers.
            const down = await run("tcp://127.0.0.1:1");
            assertEquals(down, {
              code: 1,
              stdout: "",
              stderr:
                `${NAME}: cannot register at tcp://127.0.0.1:1: zmp.Registry.register: no answer\n`,
            });
          },
        );

        const node = await createNode("py-caller", {
          registry: client,
          logger: quietNode,
        });
        try {
          const echo = await node.client(PyEchoService, { timeout: 5000 });

          await t.step("a zmp node calls it by name with msgpack", async () => {
            assertEquals(await echo.echo("hi"), "hi");
            assertEquals(await echo.echo("héllo ✓"), "héllo ✓");
            assert((await rpcClientOf(echo).ping({ timeout: 2000 })) >= 0);
            const e = await assertRejects(
              () => echo.echo(42 as unknown as string),
              RpcError,
            );
            assertEquals(e.code, "INVALID_ARGUMENT");
            assertEquals(
              e.message,
              "Invalid arguments for py.Echo.echo: expected [string], got [42]",
            );
            assertEquals(e.details, {
              issues: [{
                path: "args",
                expected: "[string]",
                received: "[42]",
              }],
            });
          });

          await t.step("it answers superjson in superjson", async () => {
            await using rpc = new RpcClient({
              endpoints: [service.endpoint],
              logger: quiet,
            });
            const json = { ...PyEchoService, codec: "superjson" as const };
            assertEquals(
              await rpc.call(json, json.methods.echo, ["json"], {
                timeout: 2000,
              }),
              "json",
            );
            const e = await assertRejects(
              () =>
                rpc.call(json, { ...json.methods.echo, name: "nope" }, [], {
                  timeout: 2000,
                }),
              RpcError,
            );
            assertEquals(e.code, "UNIMPLEMENTED");
            assertEquals(e.message, "Unknown method 'py.Echo.nope'");
          });

          await t.step(
            "zmp call checks its schemas, then calls it",
            async () => {
              const zmp = (...args: string[]) =>
                runZmp([...args, "--registry", endpoint]);
              const ok = await zmp("call", "py.Echo.echo", "hi");
              assertEquals(ok, { code: 0, stdout: '"hi"\n', stderr: "" });
              const bad = await zmp("call", "py.Echo.echo", "42");
              assertEquals(bad, {
                code: 2,
                stdout: "",
                stderr:
                  "zmp call: Invalid arguments for py.Echo.echo: args[0]: expected string, got number 42 (see zmp call --help)\n",
              });
              const list = await zmp("list", "services");
              assertEquals(list.code, 0, list.stderr);
              assertEquals(list.stdout.split("\n").slice(0, 2), [
                `py.Echo  1 instance: ${NAME}  — Echoes text, from Python.`,
                "  echo(text: string): Promise<string>  @idempotent",
              ]);
            },
          );

          await t.step(
            "it registers again when the registry restarts empty",
            async () => {
              await registry.close();
              registry = await restartRegistry(endpoint);
              const again = await waitForPyNode(
                client,
                (n) => n.instanceId === info.instanceId,
                `node "${NAME}" to register again`,
              );
              assertEquals(again, info);
              assertEquals(await echo.echo("again"), "again");
            },
          );
        } finally {
          await node.close();
        }

        await t.step("it unregisters on SIGTERM", async () => {
          const events: RegistryEvent[] = [];
          const stop = new AbortController();
          const watching = (async () => {
            for await (const e of client.watch({ signal: stop.signal })) {
              events.push(e);
            }
          })();
          try {
            await waitFor(() => events.length > 0, "the watch snapshot");
            child!.kill("SIGTERM");
            const out = await output!;
            const stderr = new TextDecoder().decode(out.stderr);
            assertEquals(out.code, 0, stderr);
            assertEquals(
              new TextDecoder().decode(out.stdout).split("\n")[0],
              `${NAME}: py.Echo at ${service.endpoint}`,
            );
            await waitFor(
              () => events.some((e) => e.type === "removed"),
              `node "${NAME}" to leave`,
            );
            assertEquals(events.filter((e) => e.type === "removed"), [{
              type: "removed",
              name: NAME,
              instanceId: info.instanceId,
              reason: "unregistered",
            }]);
          } finally {
            stop.abort();
            await watching;
          }
        });
      } finally {
        await client.close();
      }
    } finally {
      try {
        child?.kill("SIGKILL");
      } catch {
        // exited
      }
      await output;
      await registry.close();
      await Deno.remove(file);
    }
  },
});
