/**
 * `zmp doctor`: what this zmp runs on — libzmq (where from, version,
 * capabilities), Deno, and whether the registry answers.
 *
 * @module
 */

import { libzmq, LibzmqNotFoundError } from "../zmq/loader.ts";
import {
  connectRegistry,
  defaultRegistryEndpoint,
} from "../registry/client.ts";
import {
  collectHealth,
  healthLines,
  type SystemHealth,
} from "../observe/health.ts";
import {
  CliError,
  cliKeys,
  millis,
  parse,
  REGISTRY_HELP,
  REGISTRY_OPTIONS,
  runCommand,
  waiting,
} from "./_common.ts";
import { json } from "./_format.ts";

/** The `--help` text of `zmp doctor`. */
export const USAGE = `Usage: zmp doctor [options]

Prints what this zmp runs on: the libzmq it loads (path, version, whether it
is the bundled build or the system's, and its capabilities: curve, draft,
ipc), the Deno version, where zmp lives, whether the registry answers, and
when it does, the running system's health: which nodes answer and are
ready, failed calls, lost or invalid topic messages, slow event loops.
Exits 1 when libzmq cannot be loaded; a registry that does not answer is
reported, not an error.

Options:
  --json                 print one JSON value on one line, for scripts
${REGISTRY_HELP}
  -h, --help             show this help

Examples:
  zmp doctor
  ZMP_LIBZMQ=system zmp doctor   # what the system libzmq would give`;

const CAPABILITIES = ["curve", "draft", "ipc"] as const;

/** What `zmp doctor` found. */
interface Report {
  zmp: string;
  deno: typeof Deno.version;
  libzmq: {
    path: string;
    version: string;
    source: string;
    capabilities: Record<string, boolean>;
    skipped: { path: string; error?: string }[];
  };
  registry: { endpoint: string; reachable: boolean; error?: string };
  /** The running system's health, when the registry answers. */
  health?: SystemHealth;
}

/**
 * Runs `zmp doctor` with the arguments after `doctor`.
 *
 * @param args the command-line arguments
 * @returns the exit code
 */
export function main(args: string[]): Promise<number> {
  return runCommand({ name: "doctor", usage: USAGE }, args, async () => {
    const { values } = parse(args, {
      ...REGISTRY_OPTIONS,
      json: { type: "boolean" },
    });
    const timeout = millis("timeout", values.timeout, 1000);
    let lib;
    try {
      lib = libzmq();
    } catch (e) {
      if (e instanceof LibzmqNotFoundError) {
        throw new CliError(
          e.message.split("\n")[0] +
            ` (${e.attempts.map((a) => `${a.path}: ${a.error}`).join("; ")})`,
        );
      }
      throw e;
    }
    const capabilities = Object.fromEntries(
      CAPABILITIES.map((c) => [
        c,
        lib.zmq.zmq_has(new TextEncoder().encode(`${c}\0`)) === 1,
      ]),
    );
    const endpoint = values.registry ?? defaultRegistryEndpoint();
    const registry: Report["registry"] = { endpoint, reachable: false };
    let health: SystemHealth | undefined;
    const keys = await cliKeys(values);
    const curve = keys === undefined ? undefined : {
      publicKey: keys.publicKey,
      secretKey: keys.secretKey,
      registryKey: keys.registryKey,
    };
    try {
      const client = await waiting(
        `asking the registry at ${endpoint}`,
        connectRegistry({
          endpoint,
          timeout,
          logger: { warn() {}, error() {} },
          ...(curve === undefined
            ? {}
            : { curve: { ...curve, serverKey: curve.registryKey } }),
        }),
      );
      registry.reachable = true;
      try {
        health = await waiting(
          "asking every node how it is",
          collectHealth(client, { timeout, curve }),
        );
      } finally {
        await client.close();
      }
    } catch (e) {
      registry.error = (e as Error).message.split("\n")[0];
    }
    const report: Report = {
      zmp: new URL("../../", import.meta.url).href,
      deno: Deno.version,
      libzmq: {
        path: lib.path,
        version: lib.version.join("."),
        source: lib.source,
        capabilities,
        skipped: lib.attempts,
      },
      registry,
      ...(health === undefined ? {} : { health }),
    };
    if (values.json) console.log(json(report, true));
    else console.log(text(report));
    return 0;
  });
}

function text(r: Report): string {
  const yes = (b: boolean) => (b ? "yes" : "no");
  const caps = Object.entries(r.libzmq.capabilities)
    .map(([c, b]) => `${c} ${yes(b)}`).join(", ");
  const lines = [
    `zmp       ${r.zmp}`,
    `deno      ${r.deno.deno} (v8 ${r.deno.v8}, typescript ${r.deno.typescript})`,
    `libzmq    ${r.libzmq.version} (${r.libzmq.source}) ${r.libzmq.path}`,
    `          capabilities: ${caps}`,
  ];
  for (const s of r.libzmq.skipped) {
    lines.push(`          skipped ${s.path}: ${s.error}`);
  }
  lines.push(
    r.registry.reachable
      ? `registry  ${r.registry.endpoint} answers`
      : `registry  ${r.registry.endpoint} does not answer: ${r.registry.error}`,
  );
  if (r.health !== undefined) {
    const [first, ...rest] = healthLines(r.health);
    lines.push(`system    ${first}`, ...rest.map((l) => `          ${l}`));
  }
  return lines.join("\n");
}
