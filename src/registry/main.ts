/**
 * Runs the registry: `deno run -A src/registry/main.ts [--endpoint …]
 * [--ttl ms] [--params-file path]`, the same as `zmp registry`.
 *
 * @module
 */

if (import.meta.main) {
  const { main } = await import("../cli/registry.ts");
  Deno.exit(await main(Deno.args));
}
