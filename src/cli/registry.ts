/**
 * `zmp registry [...]`: runs an embedded registry in the foreground (see
 * `src/registry/`).
 *
 * @module
 */

import { registryMain } from "../registry/mod.ts";

/**
 * Runs `zmp registry` with the arguments after `registry`.
 *
 * @param args the command-line arguments
 * @returns the exit code
 */
export function main(args: string[]): Promise<number> {
  return registryMain(args);
}
