/**
 * Bad launch files: `zmp launch` refuses them in one line on stderr, exit
 * code 2, before anything starts; and `summarizeCheck` on checker output.
 *
 * @module
 */

import { assertEquals, assertMatch } from "../_assert.ts";
import { summarizeCheck } from "../../src/launch/load.ts";
import {
  fixture,
  runZmp,
  tempDir,
  writeLaunch,
  type ZmpOutput,
} from "./_harness.ts";

function refused(args: string[]): Promise<ZmpOutput> {
  return runZmp(["launch", ...args]);
}

function oneLine(
  r: ZmpOutput,
  re: RegExp,
): void {
  assertEquals(r.code, 2, r.stderr);
  assertEquals(r.stdout, "", "nothing started");
  assertEquals(r.stderr.split("\n").length, 2, `one line: ${r.stderr}`);
  assertMatch(r.stderr, re);
}

Deno.test("zmp launch refuses a launch file with a type error with the checker's message", async () => {
  await using dir = await tempDir();
  const file = await writeLaunch(
    dir.path,
    `export default defineLaunch({
  nodes: [{ name: "a", module: "${
      fixture("ticker.ts")
    }", restart: "sometimes" }],
});
`,
  );
  oneLine(
    await refused([file]),
    /^zmp launch: Cannot launch: ".*launch\.ts" does not type-check: .*launch\.ts:4:\d+: TS2322 Type '"sometimes"' is not assignable to type 'RestartPolicy \| undefined'\.\n$/,
  );
});

Deno.test("zmp launch refuses a type error that the run-time check would not see", async () => {
  await using dir = await tempDir();
  const file = await writeLaunch(
    dir.path,
    `const grace: number = "5000";
export default defineLaunch({ gracePeriod: Number(grace), nodes: [] });
`,
  );
  oneLine(
    await refused([file]),
    /^zmp launch: Cannot launch: ".*launch\.ts" or its node modules do not type-check: .*launch\.ts:3:7: TS2322 Type 'string' is not assignable to type 'number'\.\n$/,
  );
});

Deno.test("zmp launch refuses a node module that does not exist", async () => {
  await using dir = await tempDir();
  const file = await writeLaunch(dir.path, {
    nodes: [{ name: "ghost", module: "./nope.ts" }],
  });
  oneLine(
    await refused([file]),
    new RegExp(
      `^zmp launch: Cannot launch: node "ghost": module "\\./nope\\.ts" does not exist \\(${dir.path}/nope\\.ts\\)\n$`,
    ),
  );
});

Deno.test("zmp launch refuses duplicate node names", async () => {
  await using dir = await tempDir();
  const file = await writeLaunch(dir.path, {
    nodes: [
      { name: "a", module: fixture("ticker.ts") },
      { name: "a", module: fixture("done.ts") },
    ],
  });
  oneLine(
    await refused([file]),
    /^zmp launch: Cannot launch: node "a": name is used by two nodes\n$/,
  );
});

Deno.test("zmp launch refuses a missing file, a folder without launch.ts, and a file that is not a launch", async () => {
  await using dir = await tempDir();
  oneLine(
    await refused([`${dir.path}/nope.ts`]),
    /^zmp launch: Cannot launch: ".*\/nope\.ts" does not exist\n$/,
  );
  oneLine(
    await refused([dir.path]),
    /^zmp launch: Cannot launch: ".*" is a folder without a launch\.ts\n$/,
  );
  const file = `${dir.path}/other.ts`;
  await Deno.writeTextFile(file, "export const x = 1;\n");
  oneLine(
    await refused([file]),
    /^zmp launch: Cannot launch: the default export must be defineLaunch\(\{ \.\.\. \}\), got undefined\n$/,
  );
});

Deno.test("zmp launch refuses a registry endpoint that is in use", async () => {
  await using dir = await tempDir();
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const port = (listener.addr as Deno.NetAddr).port;
    const file = await writeLaunch(dir.path, {
      registry: { endpoint: `tcp://127.0.0.1:${port}` },
      nodes: [{ name: "a", module: fixture("ticker.ts") }],
    });
    const r = await refused(["--no-check", file]);
    assertEquals(r.code, 2, r.stderr);
    assertMatch(
      r.stderr,
      new RegExp(
        `^zmp launch: Cannot launch: the registry cannot start on tcp://127\\.0\\.0\\.1:${port}: .*EADDRINUSE.*\n$`,
      ),
    );
  } finally {
    listener.close();
  }
});

Deno.test("summarizeCheck() keeps the first diagnostic and its place, and counts the rest", () => {
  const output =
    `TS2322 [ERROR]: Type '"x"' is not assignable to type 'RestartPolicy | undefined'.
    { name: "a", module: "./a.ts", restart: "x" },
                                   ~~~~~~~
    at file:///elsewhere/launch.ts:4:36

    The expected type comes from property 'restart' which is declared here on type 'NodeSpec'
      restart?: RestartPolicy;
        at file:///zmp/src/launch/types.ts:109:3

TS6133 [ERROR]: 'x' is declared but its value is never read.
const x = 1;
    at file:///elsewhere/launch.ts:7:7

Found 2 errors.

error: Type checking failed.`;
  assertEquals(
    summarizeCheck(output),
    `/elsewhere/launch.ts:4:36: TS2322 Type '"x"' is not assignable to type 'RestartPolicy | undefined'. (and 1 more error)`,
  );
  assertEquals(
    summarizeCheck("\nerror: Module not found\n"),
    "error: Module not found",
  );
});
