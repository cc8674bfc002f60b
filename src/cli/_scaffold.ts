/**
 * The files of a new project, as `zmp init` writes them: a definition file
 * with a service, a topic and a params group, two nodes, a launch file, a
 * test that launches the system and calls it, and a `deno.json` that maps
 * `"zmp"` to the zmp that ran `init`.
 *
 * @module
 */

/** Where zmp lives, as the new project's deno.json must name it. */
export interface ZmpLocation {
  /** zmp's root folder as a path (local) or a URL ending in `/` (remote). */
  root: string;
  /** Whether `root` is a URL. */
  remote: boolean;
  /** zmp's own `imports`, which a remote zmp needs the project to map. */
  imports: Record<string, string>;
}

/** zmp's npm packages the project itself never imports. */
const DEV_ONLY = new Set(["fast-check"]);

/** Packages whose install scripts zmp does not need (see zmp's deno.json). */
export const DENIED_SCRIPTS = [
  "npm:zeromq",
  "npm:msgpackr-extract",
  "npm:protobufjs",
];

function at(zmp: ZmpLocation, path: string): string {
  return zmp.remote ? new URL(path, zmp.root).href : `${zmp.root}/${path}`;
}

/** `text` as one word of a `deno task` command line. */
function word(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text)
    ? text
    : `'${text.replaceAll("'", `'"'"'`)}'`;
}

/**
 * The new project's `deno.json`.
 *
 * @param zmp where zmp lives
 * @returns the file's text
 */
export function denoJson(zmp: ZmpLocation): string {
  const cli = `deno run -A ${word(at(zmp, "src/cli/main.ts"))}`;
  const config: Record<string, unknown> = {
    tasks: {
      codegen: `${cli} codegen`,
      launch: `${cli} launch launch.ts`,
      test: "deno test -A",
      zmp: cli,
    },
    imports: {
      "zmp": at(zmp, "mod.ts"),
      "zmp/zmq": at(zmp, "src/zmq/mod.ts"),
      "zmp/wire": at(zmp, "src/wire/mod.ts"),
      "zmp/codegen": at(zmp, "codegen/mod.ts"),
      "zmp/bridge": at(zmp, "src/bridge/mod.ts"),
    },
    nodeModulesDir: "auto",
    allowScripts: { deny: DENIED_SCRIPTS },
    zmp: { codegen: { import: "zmp" } },
  };
  if (zmp.remote) {
    // A module from a URL has no deno.json of its own: the project maps
    // zmp's imports, for zmp's modules only.
    // A plain import map has no deno.json shorthand for a package's
    // sub-paths ("msgpackr/pack"): each npm package gets its "name/" entry.
    const own: Record<string, string> = {};
    for (const [name, target] of Object.entries(zmp.imports)) {
      // Not its dev tools, nor its own paths ("zmp": "./mod.ts").
      if (DEV_ONLY.has(name) || !/^(npm|jsr|https?):/.test(target)) continue;
      own[name] = target;
      const npm = /^npm:\/?(.+)$/.exec(target);
      if (npm && !name.endsWith("/")) own[`${name}/`] = `npm:/${npm[1]}/`;
    }
    config.scopes = { [zmp.root]: own };
  }
  return `${JSON.stringify(config, null, 2)}\n`;
}

const API = `/**
 * What the system exchanges, as plain TypeScript types. \`deno task codegen\`
 * turns this file into greeter.api.gen.ts: a typed client, the handlers'
 * interface, descriptors and validators.
 *
 * @module
 */

/**
 * A greeting, as the greeter made it: broadcast to anyone who listens.
 * @topic greetings
 */
export interface Greeting {
  /** Who was greeted. */
  name: string;
  /** What the greeter said. */
  text: string;
  /** When. */
  at: Date;
}

/**
 * How the greeter greets; change it while it runs
 * (\`deno task zmp param set greeter.punctuation '"?"'\`).
 * @params greeter
 */
export interface GreeterSettings {
  /** Appended to every greeting. */
  punctuation: string;
}

/**
 * Greets people by name.
 * @service
 */
export interface Greeter {
  /**
   * Greets someone, and broadcasts the greeting on "greetings".
   * @idempotent
   */
  greet(name: string): Promise<Greeting>;
  /** How many greetings so far. */
  count(): Promise<number>;
}
`;

const GREETER = `/**
 * The greeter node: provides the Greeter service, publishes every greeting
 * on "greetings", and reads its punctuation from the "greeter" params.
 * Run it alone with \`deno run -A greeter.ts\` (it joins the registry at
 * $ZMP_REGISTRY), or with the others: \`deno task launch\`.
 *
 * @module
 */

import { defineNode, RpcError } from "zmp";
import {
  GreeterService,
  GreeterSettingsParams,
  GreetingTopic,
} from "./greeter.api.gen.ts";

export default defineNode(async (node) => {
  const settings = node.params(GreeterSettingsParams);
  if (await settings.get("punctuation") === undefined) {
    await settings.set("punctuation", "!");
  }
  const greetings = await node.publisher(GreetingTopic, { latched: true });
  let count = 0;
  await node.provide(GreeterService, {
    async greet(name) {
      if (name.trim() === "") {
        throw new RpcError("INVALID_ARGUMENT", "name is empty");
      }
      const punctuation = await settings.get("punctuation");
      const greeting = { name, text: \`Hello, \${name}\${punctuation}\`, at: new Date() };
      count++;
      greetings.publish(greeting);
      node.log.info("greeted", { name });
      return greeting;
    },
    count: () => count,
  });
});
`;

const LISTENER = `/**
 * The listener node: hears every greeting and asks the greeter how many it
 * made. It names a topic and a service, never an address: the registry
 * connects them.
 *
 * @module
 */

import { defineNode } from "zmp";
import { GreeterService, GreetingTopic } from "./greeter.api.gen.ts";

export default defineNode(async (node) => {
  const greeter = await node.client(GreeterService);
  for await (const greeting of await node.subscribe(GreetingTopic)) {
    const count = await greeter.count({ timeout: 1000 });
    console.log(\`heard "\${greeting.text}" (greeting #\${count})\`);
  }
});
`;

const LAUNCH = `/**
 * The system: a registry, then the greeter, then the listener once the
 * Greeter service is up. \`deno task launch\` runs it until Ctrl-C.
 *
 * @module
 */

import { defineLaunch } from "zmp";

export default defineLaunch({
  nodes: [
    { name: "greeter", module: "./greeter.ts", restart: "on-failure" },
    {
      name: "listener",
      module: "./listener.ts",
      after: [{ service: "Greeter" }],
    },
  ],
});
`;

const TEST = `/**
 * Launches the system on a free port and calls it, as \`deno task test\`.
 *
 * @module
 */

import { strictEqual } from "node:assert/strict";
import { createNode, type LaunchLogger, startLaunch } from "zmp";
import system from "./launch.ts";
import { GreeterService } from "./greeter.api.gen.ts";

/** Keeps the nodes' output out of the test report. */
const quiet: LaunchLogger = { line() {}, log() {} };

Deno.test("the greeter greets, and counts its greetings", async () => {
  await using launch = await startLaunch(
    { ...system, registry: { endpoint: "tcp://127.0.0.1:*" } },
    { file: new URL("./launch.ts", import.meta.url).href, logger: quiet },
  );
  await using caller = await createNode("test-caller", {
    registry: launch.registry,
  });
  const greeter = await caller.client(GreeterService);
  const greeting = await greeter.greet("Ada", { timeout: 5000 });
  strictEqual(greeting.text, "Hello, Ada!");
  strictEqual(greeting.at instanceof Date, true);
  strictEqual(await greeter.count(), 1);
});
`;

const README = (name: string) =>
  `# ${name}

A zmp system: two nodes that share a service, a topic and a param.

\`\`\`sh
deno task codegen        # greeter.api.ts -> greeter.api.gen.ts (again after each change)
deno task test           # launches the system on a free port and calls it
deno task launch         # runs it until Ctrl-C; then, in another terminal:
deno task zmp list nodes
deno task zmp call Greeter.greet Ada
deno task zmp echo greetings --count 1
deno task zmp param set greeter.punctuation '"?"'
\`\`\`

A node also runs on its own: \`deno run -A listener.ts\` joins the registry at
\`$ZMP_REGISTRY\` (default \`tcp://127.0.0.1:7350\`); \`--name\` names it.
`;

/**
 * Every file of a new project, by path.
 *
 * @param name the project's name (its folder's)
 * @param zmp where zmp lives
 * @returns the files' paths (relative to the project) and texts, in the
 *   order they are written
 */
export function scaffold(
  name: string,
  zmp: ZmpLocation,
): [path: string, text: string][] {
  return [
    ["deno.json", denoJson(zmp)],
    ["greeter.api.ts", API],
    ["greeter.ts", GREETER],
    ["listener.ts", LISTENER],
    ["launch.ts", LAUNCH],
    ["launch_test.ts", TEST],
    ["README.md", README(name)],
    [".gitignore", "node_modules/\n"],
  ];
}
