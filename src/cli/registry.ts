/**
 * `zmp registry [...]`: runs an embedded registry in the foreground (see
 * `src/registry/`) until SIGINT or SIGTERM.
 *
 * @module
 */

import { startRegistry } from "../registry/server.ts";
import {
  DEFAULT_REGISTRY_ENDPOINT,
  DEFAULT_TTL_MS,
} from "../registry/types.ts";
import { REGISTRY_MAX_ELEMENTS } from "../wire/limits.ts";
import {
  CliError,
  count,
  interruptSignal,
  parse,
  runCommand,
  UsageError,
} from "./_common.ts";

/** The `--help` text of `zmp registry`. */
export const USAGE = `Usage: zmp registry [options]

Runs a zmp registry (discovery, liveness and params) until SIGINT or SIGTERM.
Prints "zmp registry listening on <endpoint>" once it listens.

Options:
  --endpoint <endpoint>  where to listen (default: ${DEFAULT_REGISTRY_ENDPOINT};
                         tcp://127.0.0.1:* picks a free port)
  --ttl <ms>             lease time-to-live: a node silent this long is removed
                         (default: ${DEFAULT_TTL_MS})
  --params-file <path>   keep params in this file (superjson), loaded at start
  --max-elements <n>     the most elements one request may hold (a register,
                         an update, a param value): more are refused with
                         RESOURCE_EXHAUSTED before decoding
                         (default: ${REGISTRY_MAX_ELEMENTS})
  -h, --help             show this help

Examples:
  zmp registry
  zmp registry --endpoint tcp://0.0.0.0:7350 --params-file params.json
  zmp registry --max-elements 500000`;

/**
 * Runs `zmp registry` with the arguments after `registry`.
 *
 * @param args the command-line arguments
 * @returns the exit code: 0 after a clean stop, 2 for bad arguments, 1
 *   when the registry cannot start (port in use, corrupt params file)
 */
export function main(args: string[]): Promise<number> {
  return runCommand({ name: "registry", usage: USAGE }, args, async () => {
    const { values, positionals } = parse(args, {
      endpoint: { type: "string" },
      ttl: { type: "string" },
      "params-file": { type: "string" },
      "max-elements": { type: "string" },
    });
    if (positionals.length > 0) {
      throw new UsageError(
        `unexpected argument ${JSON.stringify(positionals[0])}`,
      );
    }
    let ttl: number | undefined;
    if (values.ttl !== undefined) {
      ttl = Number(values.ttl);
      if (!/^\d+$/.test(values.ttl) || ttl < 10) {
        throw new UsageError(
          `--ttl must be a whole number of milliseconds >= 10, got ${
            JSON.stringify(values.ttl)
          }`,
        );
      }
    }
    if (
      values.endpoint !== undefined && !/^[a-z]+:\/\/./.test(values.endpoint)
    ) {
      throw new UsageError(
        `--endpoint must look like tcp://host:port, got ${
          JSON.stringify(values.endpoint)
        }`,
      );
    }
    const maxElements = count("max-elements", values["max-elements"]);
    if (values["params-file"] === "") {
      throw new UsageError("--params-file must not be empty");
    }
    const interrupt = interruptSignal();
    try {
      let registry;
      try {
        registry = await startRegistry({
          endpoint: values.endpoint,
          ttl,
          paramsFile: values["params-file"],
          maxElements,
        });
      } catch (e) {
        throw new CliError((e as Error).message, { cause: e });
      }
      console.log(`zmp registry listening on ${registry.endpoint}`);
      if (!interrupt.signal.aborted) {
        await new Promise((resolve) =>
          interrupt.signal.addEventListener("abort", resolve, { once: true })
        );
      }
      await registry.close();
      return 0;
    } finally {
      interrupt.dispose();
    }
  });
}
