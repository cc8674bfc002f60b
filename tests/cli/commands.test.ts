/**
 * Every `zmp` command against a live system started by a real `zmp launch`
 * (tests/cli/fixtures/system.ts): output, `--json`, and each error path
 * with its exact message and exit code.
 */

import {
  assert,
  assertEquals,
  assertMatch,
  assertStringIncludes,
  waitFor,
} from "../_assert.ts";
import { Launcher, runZmp, type ZmpOutput } from "../launch/_harness.ts";
import { connectRegistry, createNode } from "../../mod.ts";
import { EchoService, STUB_IDENTITY } from "../node/fixtures/api.ts";

const SYSTEM = new URL("fixtures/system.ts", import.meta.url).pathname;

/** Exit code 0 and nothing on stderr. */
function ok(r: ZmpOutput): string {
  assertEquals(r.code, 0, `stderr: ${r.stderr}`);
  assertEquals(r.stderr, "");
  return r.stdout;
}

/** The exit code, and exactly one line on stderr, nothing on stdout. */
function fails(r: ZmpOutput, code: number, line: string | RegExp): void {
  assertEquals(r.code, code, `stdout: ${r.stdout}\nstderr: ${r.stderr}`);
  assertEquals(r.stdout, "");
  assertEquals(r.stderr.split("\n").length, 2, `one line: ${r.stderr}`);
  if (typeof line === "string") assertEquals(r.stderr, `${line}\n`);
  else assertMatch(r.stderr, line);
}

Deno.test("zmp list, call, param, echo and pub drive a launched system", async (t) => {
  await using launch = new Launcher(["--no-check", SYSTEM]);
  const [, endpoint] = await launch.line(/registry listening on (\S+)/);
  {
    await using registry = await connectRegistry({ endpoint });
    await waitFor(
      async () => {
        const nodes = await registry.nodes();
        return nodes.length === 3 &&
          nodes.every((n) =>
            n.services.length + n.publishes.length > 0 &&
            (n.name !== "filter" || n.subscribes.length === 1)
          ) &&
          (await registry.params.get("filter.alpha")) !== undefined;
      },
      "calc-1, calc-2 and filter to register",
      { timeout: 20000 },
    );
  }
  const zmp = (...args: string[]) => runZmp([...args, "--registry", endpoint]);

  await t.step("zmp list nodes", async () => {
    const table = ok(await zmp("list", "nodes")).split("\n");
    assertMatch(
      table[0],
      /^NODE +PID +HOST +MODE +SERVICES +PUBLISHES +SUBSCRIBES +PARAMS$/,
    );
    assertMatch(
      table[1],
      /^calc-1 +\d+ +\S+ +subprocess +Calculator +- +- +-$/,
    );
    assertMatch(table[2], /^calc-2 +\d+ /);
    assertMatch(
      table[3],
      /^filter +\d+ +\S+ +subprocess +- +sensors\/filtered +sensors\/raw +filter$/,
    );
    const nodes = JSON.parse(ok(await zmp("list", "nodes", "--json")));
    assertEquals(nodes.map((n: { name: string }) => n.name), [
      "calc-1",
      "calc-2",
      "filter",
    ]);
  });

  await t.step("zmp list services shows signatures", async () => {
    const out = ok(await zmp("list", "services"));
    assertEquals(
      out,
      `Calculator  2 instances: calc-1, calc-2  — Arithmetic, remotely.
  add(a: number, b: number): Promise<number>  @idempotent
  divide(a: number, b: number): Promise<number>
  sum(values: number[]): Promise<number>
  countdown(from: number): AsyncIterable<number>
  evaluate(request: EvaluateRequest): Promise<Evaluation>
`,
    );
    const [service] = JSON.parse(ok(await zmp("list", "services", "--json")));
    assertEquals(service.name, "Calculator");
    assertEquals(service.instances.length, 2);
    assertEquals(service.methods.length, 5);
  });

  await t.step("zmp list topics and params", async () => {
    assertEquals(
      ok(await zmp("list", "topics")),
      `TOPIC             TYPE             PUBLISHERS  SUBSCRIBERS
sensors/filtered  FilteredReading  filter      -
sensors/raw       RawReading       -           filter
`,
    );
    assertEquals(
      ok(await zmp("list", "params")),
      "filter.alpha = 0.05\nfilter.threshold = 28\n",
    );
    assertEquals(
      JSON.parse(ok(await zmp("list", "params", "filter.", "--json"))),
      { "filter.alpha": 0.05, "filter.threshold": 28 },
    );
  });

  await t.step(
    "zmp call prints results; streams one line per item",
    async () => {
      assertEquals(ok(await zmp("call", "Calculator.add", "2", "-3")), "-1\n");
      assertEquals(
        ok(await zmp("call", "Calculator.sum", "[1, 2, 3.5]", "--json")),
        "6.5\n",
      );
      assertEquals(
        ok(await zmp("call", "Calculator.countdown", "3")),
        "3\n2\n1\n0\n",
      );
      const evaluation = JSON.parse(ok(
        await zmp(
          "call",
          "Calculator.evaluate",
          '{"expression": {"op": "add", "args": [{"op": "num", "value": 2}, {"op": "num", "value": 0.5}]}, "precision": 0}',
          "--json",
        ),
      ));
      assertEquals(evaluation.value, 3);
      assertEquals(evaluation.exact, 2.5);
      assertEquals(evaluation.steps, 3);
      assert(!Number.isNaN(Date.parse(evaluation.computedAt)), "a Date as ISO");
    },
  );

  await t.step(
    "zmp call --max-elements refuses a larger reply unread",
    async () => {
      const args = [
        "call",
        "Calculator.evaluate",
        '{"expression": {"op": "num", "value": 1}, "precision": 0}',
      ];
      // The evaluation is an object of 4 fields: 9 values and more.
      assertEquals(
        JSON.parse(ok(await zmp(...args, "--max-elements", "100", "--json")))
          .value,
        1,
      );
      fails(
        await zmp(...args, "--max-elements", "4"),
        1,
        /^zmp call: RESOURCE_EXHAUSTED: .*4.*\n$/,
      );
      fails(
        await zmp(...args, "--max-elements", "1e3"),
        2,
        'zmp call: --max-elements must be a whole number > 0, got "1e3" (see zmp call --help)',
      );
    },
  );

  await t.step("zmp call --wait waits for a provider", async () => {
    const call = runZmp([
      "call",
      "test.Echo.echo",
      '{"late": true}',
      "--wait",
      "--registry",
      endpoint,
    ]);
    await using late = await createNode("late", {
      registry: endpoint,
      logger: { debug() {}, info() {}, warn() {}, error() {} },
    });
    await late.provide(EchoService, {
      echo: (v: unknown) => v,
      whoami: () => STUB_IDENTITY,
      slow: () => STUB_IDENTITY,
      slowOnce: () => STUB_IDENTITY,
      async *count() {},
      burst: () => 0,
    });
    assertEquals(JSON.parse(ok(await call)), { late: true });
  });

  await t.step("zmp call error paths", async () => {
    fails(
      await zmp("call", "Calculator.divide", "1", "0"),
      1,
      "zmp call: INVALID_ARGUMENT: Cannot divide by zero",
    );
    fails(
      await zmp("call", "Calculator.add", "2", '"x"'),
      2,
      'zmp call: Invalid arguments for Calculator.add: args[1]: expected number, got string "x" (see zmp call --help)',
    );
    fails(
      await zmp("call", "Calculator.countdown", "-1"),
      2,
      "zmp call: Invalid arguments for Calculator.countdown: args[0]: must be >= 0, got -1 (see zmp call --help)",
    );
    fails(
      await zmp("call", "Calculator.add", "2", "{oops"),
      2,
      /^zmp call: argument 2 \(b\) is not valid JSON: "\{oops" \(.+\) \(see zmp call --help\)\n$/,
    );
    fails(
      await zmp("call", "Calculator.add", "2"),
      2,
      "zmp call: Calculator.add(a: number, b: number): Promise<number> takes 2 arguments, got 1 (see zmp call --help)",
    );
    fails(
      await zmp("call", "Calculator.mod", "1", "2"),
      2,
      'zmp call: service "Calculator" has no method "mod" (methods: add, divide, sum, countdown, evaluate) (see zmp call --help)',
    );
    fails(
      await zmp("call", "Abacus.add", "1", "2"),
      1,
      'zmp call: no live node provides service "Abacus" (live services: Calculator)',
    );
    fails(
      await zmp("call", "Abacus.add", "1", "--wait", "--timeout", "300"),
      1,
      'zmp call: no live node provides service "Abacus" (live services: Calculator; waited 300 ms)',
    );
    fails(
      await zmp("call", "Calculator"),
      2,
      'zmp call: expected <Service>.<method>, got "Calculator" (see zmp call --help)',
    );
  });

  await t.step("zmp param get, set (typed), delete", async () => {
    assertEquals(ok(await zmp("param", "get", "filter.alpha")), "0.05\n");
    assertEquals(
      ok(await zmp("param", "set", "filter.alpha", "0.5")),
      "filter.alpha = 0.5\n",
    );
    assertEquals(ok(await zmp("param", "get", "filter.alpha")), "0.5\n");
    fails(
      await zmp("param", "set", "filter.alpha", '"fast"'),
      2,
      'zmp param: Invalid value for param filter.alpha (FilterParams): filter.alpha: expected number, got string "fast" (see zmp param --help)',
    );
    fails(
      await zmp("param", "set", "filter.alpha", "1.5"),
      2,
      "zmp param: Invalid value for param filter.alpha (FilterParams): filter.alpha: must be <= 1, got 1.5 (see zmp param --help)",
    );
    fails(
      await zmp("param", "set", "filter.alhpa", "1"),
      2,
      'zmp param: "alhpa" is not a key of params group filter (FilterParams): its keys are filter.alpha, filter.threshold (see zmp param --help)',
    );
    // A namespace no node declares is free-form.
    assertEquals(
      ok(await zmp("param", "set", "notes.owner", "Ada")),
      'notes.owner = "Ada"\n',
    );
    assertEquals(
      ok(await zmp("param", "delete", "notes.owner")),
      "deleted notes.owner\n",
    );
    fails(
      await zmp("param", "get", "notes.owner"),
      1,
      'zmp param: param "notes.owner" is not set',
    );
    fails(
      await zmp("param", "delete", "notes.owner"),
      1,
      'zmp param: param "notes.owner" is not set',
    );
    fails(
      await zmp("param", "frob", "x"),
      2,
      'zmp param: unknown action "frob": expected one of get, set, delete, list (see zmp param --help)',
    );
  });

  await t.step("zmp pub into the filter, zmp echo of its output", async () => {
    const echo = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "src/cli/main.ts",
        "echo",
        "sensors/filtered",
        "--count",
        "2",
        "--registry",
        endpoint,
      ],
      cwd: new URL("../../", import.meta.url).pathname,
      env: { NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const output = echo.output();
    try {
      // The echo node is live (and subscribed) once the filter's topic
      // lists it; the filter then sends it what it makes of our readings.
      await using registry = await connectRegistry({ endpoint });
      await waitFor(
        async () =>
          (await registry.nodes()).some((n) =>
            n.name.startsWith("_zmp_echo_") && n.subscribes.length === 1
          ),
        "zmp echo to subscribe",
        { timeout: 15000 },
      );
      const published = await zmp(
        "pub",
        "sensors/raw",
        '{"sensor": "cli", "seq": 0, "value": 30, "at": "2026-11-27T12:00:00Z"}',
        "--rate",
        "20",
        "--count",
        "10",
      );
      assertEquals(
        ok(published),
        "published 10 messages on sensors/raw (1 subscriber)\n",
      );
      const out = await output;
      const text = new TextDecoder().decode(out.stdout);
      assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
      const lines = text.trim().split("\n").map((l) => JSON.parse(l));
      assertEquals(lines.length, 2);
      for (const line of lines) {
        assertEquals(line.sensor, "cli");
        assertEquals(line.raw, 30);
        assertEquals(line.alpha, 0.5);
      }
    } finally {
      try {
        echo.kill("SIGKILL");
      } catch {
        // already exited
      }
      await output;
    }
  });

  await t.step("zmp pub and zmp echo error paths", async () => {
    fails(
      await zmp("pub", "sensors/raw", '{"sensor": "cli"}'),
      2,
      "zmp pub: Invalid message for topic sensors/raw (RawReading): message.seq: expected number, got undefined; message.value: expected number, got undefined; message.at: expected Date, got undefined (see zmp pub --help)",
    );
    fails(
      await zmp("pub", "sensors/nope", "1"),
      1,
      'zmp pub: no live node publishes or subscribes to topic "sensors/nope" (live topics: sensors/filtered, sensors/raw), so its type is unknown',
    );
    fails(
      await zmp("echo", "sensors/nope"),
      1,
      'zmp echo: no live node publishes or subscribes to topic "sensors/nope" (live topics: sensors/filtered, sensors/raw); add --wait to wait for it',
    );
    fails(
      await zmp("pub", "sensors/raw", "{}", "--rate", "fast"),
      2,
      'zmp pub: --rate must be a number of messages per second in (0, 10000], got "fast" (see zmp pub --help)',
    );
  });

  await t.step("tool nodes are hidden unless --all", async () => {
    const all = ok(await zmp("list", "nodes", "--all"));
    assertStringIncludes(all, "filter");
    assert(!all.includes("_zmp_"), "tool nodes have left");
  });
});

Deno.test("zmp commands with the registry down fail in one line with exit 1", async () => {
  const down = ["--registry", "tcp://127.0.0.1:1", "--timeout", "300"];
  const expected = (command: string) =>
    new RegExp(
      `^zmp ${command}: Cannot reach the zmp registry at tcp://127\\.0\\.0\\.1:1 \\(waited 300 ms\\): start one with "deno task zmp registry" or "zmp launch <file>", or set ZMP_REGISTRY\\n$`,
    );
  for (
    const args of [
      ["list", "nodes"],
      ["call", "Calculator.add", "1", "2"],
      ["param", "get", "filter.alpha"],
      ["echo", "sensors/raw"],
      ["pub", "sensors/raw", "{}"],
    ]
  ) {
    fails(await runZmp([...args, ...down]), 1, expected(args[0]));
  }
});

Deno.test("zmp commands refuse bad usage in one line with exit 2", async () => {
  fails(
    await runZmp(["list"]),
    2,
    "zmp list: expected what to list: nodes, services, topics, params (see zmp list --help)",
  );
  fails(
    await runZmp(["list", "robots"]),
    2,
    'zmp list: cannot list "robots": expected one of nodes, services, topics, params (see zmp list --help)',
  );
  fails(
    await runZmp(["list", "nodes", "--bogus"]),
    2,
    /^zmp list: Unknown option '--bogus'.* \(see zmp list --help\)\n$/,
  );
  fails(
    await runZmp(["call"]),
    2,
    "zmp call: expected <Service>.<method> (see zmp call --help)",
  );
  fails(
    await runZmp(["echo", "a", "b"]),
    2,
    "zmp echo: expected one topic, got 2 arguments (see zmp echo --help)",
  );
  fails(
    await runZmp(["pub", "a"]),
    2,
    "zmp pub: expected a topic and a JSON message, got 1 argument (see zmp pub --help)",
  );
  fails(
    await runZmp(["param", "set", "a.b"]),
    2,
    "zmp param: expected zmp param set <key> <json>, got 1 argument (see zmp param --help)",
  );
  fails(
    await runZmp(["list", "nodes", "--timeout", "soon"]),
    2,
    'zmp list: --timeout must be a whole number of milliseconds > 0, got "soon" (see zmp list --help)',
  );
  // Names that break the rule of wire/names.ts, refused before any network.
  fails(
    await runZmp(["call", `${"S".repeat(129)}.m`]),
    2,
    /^zmp call: Invalid service name "S+…" \(129 bytes\): a service name is 1 to 128 characters of A-Z a-z 0-9 _ \. -, the first a letter or _ \(see zmp call --help\)\n$/,
  );
  fails(
    await runZmp(["echo", "a b"]),
    2,
    'zmp echo: Invalid topic name "a b": a topic name is 1 to 255 characters of A-Z a-z 0-9 _ . / -, the first a letter, a digit or _ (see zmp echo --help)',
  );
  fails(
    await runZmp(["pub", "/abs", "{}"]),
    2,
    /^zmp pub: Invalid topic name "\/abs": /,
  );
  fails(
    await runZmp(["param", "get", "__proto__"]),
    2,
    'zmp param: Invalid param key "__proto__": a param key is 1 to 1024 bytes of UTF-8 other than "__proto__" (see zmp param --help)',
  );
  // A node name given with --name, checked before any key or network.
  for (
    const args of [
      ["bridge", "rosbridge", "--port", "0", "--name", "a@b"],
      ["gateway", "--port", "0", "--name", "a@b", "--keys", "/nonexistent"],
    ]
  ) {
    fails(
      await runZmp(args),
      2,
      `zmp ${
        args[0]
      }: Invalid --name "a@b": a node name is 1 to 255 characters of A-Z a-z 0-9 _ . / -, the first a letter, a digit or _ (see zmp ${
        args[0]
      } --help)`,
    );
  }
  // zmp record's selections, each name checked, before the file is made.
  const out = await Deno.makeTempDir();
  try {
    const file = `${out}/r.mcap`;
    fails(
      await runZmp(["record", file, "--topics", "sensors/raw,a b"]),
      2,
      'zmp record: Invalid topic name of --topics "a b": a topic name is 1 to 255 characters of A-Z a-z 0-9 _ . / -, the first a letter, a digit or _ (see zmp record --help)',
    );
    fails(
      await runZmp([
        "record",
        file,
        "--services",
        `Calculator,${"S".repeat(129)}`,
      ]),
      2,
      /^zmp record: Invalid service name of --services "S+…" \(129 bytes\): a service name is 1 to 128 characters .* \(see zmp record --help\)\n$/,
    );
    fails(
      await runZmp(["record", file, "--services", "Calc.add()"]),
      2,
      /^zmp record: Invalid service name of --services "Calc\.add\(\)": /,
    );
    assertEquals(
      await Deno.stat(file).then(() => true, () => false),
      false,
      "no file is made",
    );
  } finally {
    await Deno.remove(out, { recursive: true });
  }
  for (const command of ["list", "call", "echo", "pub", "param"]) {
    const r = await runZmp([command, "--help"]);
    assertEquals(r.code, 0, r.stderr);
    assertStringIncludes(r.stdout, `Usage: zmp ${command} `);
  }
});
