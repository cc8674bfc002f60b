/**
 * Runs the registry: `deno run -A src/registry/main.ts [--endpoint …]
 * [--ttl ms] [--params-file path]`, the same as `zmp registry`.
 *
 * @module
 */

import { registryMain } from "./cli.ts";

if (import.meta.main) Deno.exit(await registryMain(Deno.args));
