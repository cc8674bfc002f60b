/**
 * Entry point of `deno task codegen`. See {@link ./cli.ts} for usage.
 *
 * @module
 */

import { runCli } from "./cli.ts";

if (import.meta.main) {
  Deno.exitCode = await runCli(Deno.args);
}
