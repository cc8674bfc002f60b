/**
 * `zmp registry`: runs an embedded registry in the foreground until SIGINT
 * or SIGTERM.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { startRegistry } from "./server.ts";
import { DEFAULT_REGISTRY_ENDPOINT, DEFAULT_TTL_MS } from "./types.ts";

/** Options of {@linkcode registryMain}, for embedding and tests. */
export interface RegistryMainOptions {
  /** Stops the registry, like SIGINT. @default {none: wait for a signal} */
  signal?: AbortSignal;
  /** Writes one line of normal output. @default {console.log} */
  stdout?: (line: string) => void;
  /** Writes one line of error output. @default {console.error} */
  stderr?: (line: string) => void;
}

const USAGE = `Usage: zmp registry [options]

Runs a zmp registry (discovery, liveness and params) until SIGINT or SIGTERM.

Options:
  --endpoint <endpoint>  where to listen (default: ${DEFAULT_REGISTRY_ENDPOINT};
                         tcp://127.0.0.1:* picks a free port)
  --ttl <ms>             lease time-to-live: a node silent this long is removed
                         (default: ${DEFAULT_TTL_MS})
  --params-file <path>   keep params in this file (superjson), loaded at start
  -h, --help             show this help`;

/**
 * Runs `zmp registry [--endpoint tcp://…] [--ttl ms] [--params-file path]`.
 * Prints `zmp registry listening on <endpoint>` once listening, then serves
 * until SIGINT or SIGTERM (or `options.signal`), and closes cleanly.
 *
 * @example
 * ```ts ignore
 * import { registryMain } from "../../mod.ts";
 * Deno.exit(await registryMain(["--endpoint", "tcp://127.0.0.1:*"]));
 * ```
 *
 * @param args the arguments after `registry`
 * @param options stop signal and output sinks
 * @returns the exit code: 0 after a clean stop (or `--help`), 2 for bad
 *   arguments, 1 when the registry cannot start (port in use, corrupt
 *   params file); each failure is one line on stderr
 */
export async function registryMain(
  args: string[],
  options: RegistryMainOptions = {},
): Promise<number> {
  const out = options.stdout ?? ((line: string) => console.log(line));
  const err = options.stderr ?? ((line: string) => console.error(line));
  let values: {
    endpoint?: string;
    ttl?: string;
    "params-file"?: string;
    help?: boolean;
  };
  try {
    ({ values } = parseArgs({
      args,
      options: {
        endpoint: { type: "string" },
        ttl: { type: "string" },
        "params-file": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    err(`zmp registry: ${(e as Error).message} (see zmp registry --help)`);
    return 2;
  }
  if (values.help) {
    out(USAGE);
    return 0;
  }
  let ttl: number | undefined;
  if (values.ttl !== undefined) {
    ttl = Number(values.ttl);
    if (!/^\d+$/.test(values.ttl) || ttl < 10) {
      err(
        `zmp registry: --ttl must be a whole number of milliseconds >= 10, got ${
          JSON.stringify(values.ttl)
        }`,
      );
      return 2;
    }
  }
  if (values.endpoint !== undefined && !/^[a-z]+:\/\/./.test(values.endpoint)) {
    err(
      `zmp registry: --endpoint must look like tcp://host:port, got ${
        JSON.stringify(values.endpoint)
      }`,
    );
    return 2;
  }
  if (values["params-file"] === "") {
    err("zmp registry: --params-file must not be empty");
    return 2;
  }

  const stop = Promise.withResolvers<void>();
  const onSignal = () => stop.resolve();
  const signals: Deno.Signal[] = Deno.build.os === "windows"
    ? ["SIGINT"]
    : ["SIGINT", "SIGTERM"];
  for (const s of signals) Deno.addSignalListener(s, onSignal);
  options.signal?.addEventListener("abort", onSignal, { once: true });
  if (options.signal?.aborted) onSignal();
  try {
    let registry;
    try {
      registry = await startRegistry({
        endpoint: values.endpoint,
        ttl,
        paramsFile: values["params-file"],
      });
    } catch (e) {
      err(`zmp registry: ${oneLine((e as Error).message)}`);
      return 1;
    }
    out(`zmp registry listening on ${registry.endpoint}`);
    await stop.promise;
    await registry.close();
    return 0;
  } finally {
    for (const s of signals) Deno.removeSignalListener(s, onSignal);
    options.signal?.removeEventListener("abort", onSignal);
  }
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, " ");
}
