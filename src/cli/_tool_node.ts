/**
 * The CLI's own node, for the commands that join the system (`zmp echo`,
 * `zmp pub`); kept apart from `_common.ts` so that the other commands do
 * not load the node runtime.
 *
 * @module
 */

import { createNode } from "../node/node.ts";
import type { Node } from "../node/types.ts";
import type { Registry } from "../registry/types.ts";
import type { CliKeys } from "./_common.ts";

/**
 * Joins the system as a tool node, `_zmp_<command>_<pid>` (hidden from
 * listings unless `--all`), logging only warnings and errors, on stderr as
 * `zmp <command>: warning: …`. In secure mode (`keys`), it runs with the
 * `@cli` key pair: the registry lets that key register tool nodes, and
 * every node lets it subscribe and call (it is the operator's).
 *
 * @param command the subcommand's name
 * @param options the connected registry, the signal that stops the node,
 *   and the tools' keys in secure mode
 * @returns the node; close it when done
 */
export function toolNode(
  command: string,
  options: { registry: Registry; signal: AbortSignal; keys?: CliKeys },
): Promise<Node> {
  const write = (level: string) => (message: string) =>
    console.error(`zmp ${command}: ${level}: ${message}`);
  return createNode(`_zmp_${command}_${Deno.pid}`, {
    registry: options.registry,
    signal: options.signal,
    ...(options.keys === undefined ? {} : {
      security: {
        publicKey: options.keys.publicKey,
        secretKey: options.keys.secretKey,
        registryKey: options.keys.registryKey,
        tools: [options.keys.publicKey],
      },
    }),
    logger: {
      debug() {},
      info() {},
      warn: write("warning"),
      error: write("error"),
    },
  });
}
