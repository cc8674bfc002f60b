/**
 * What every Deno peer of `deno task bench:rpc` does around its work: exit
 * when the driver goes away, announce readiness on one stdout line, and
 * report results as one JSON line.
 *
 * @module
 */

import { type ClientPlan, measure, parsePlan } from "./_measure.mjs";

/**
 * Exits the process when its standard input closes: the driver never
 * writes, so end of file means it killed us or died itself.
 */
export function exitWhenStdinCloses(): void {
  (async () => {
    try {
      for await (const _ of Deno.stdin.readable) {
        // the driver never writes: wait for end of file
      }
    } finally {
      Deno.exit(0);
    }
  })();
}

/**
 * Prints the ready line a server owes the driver (`withServer` reads it):
 * its endpoint, and its process id, for the clients to read its CPU time.
 *
 * @param endpoint where clients should connect
 */
export function announce(endpoint: string): void {
  console.log(JSON.stringify({ endpoint, pid: Deno.pid }));
}

/**
 * Measures `call` along the plan given on the command line, prints the
 * result line and exits.
 *
 * @param call one call, resolving with the reply
 * @param planArg the JSON plan argument
 * @param options how to check a reply, what to close before exiting
 * @param options.check throws on a wrong reply; default: the sample's reply
 * @param options.close runs after measuring, before the result is printed
 */
export async function measureAndExit(
  call: () => Promise<unknown>,
  planArg: string | undefined,
  options: {
    check?: (reply: unknown) => void;
    close?: () => Promise<void> | void;
  } = {},
): Promise<never> {
  const plan: ClientPlan = parsePlan(planArg);
  const result = await measure(call, plan, options.check);
  await options.close?.();
  console.log(JSON.stringify(result));
  Deno.exit(0);
}

/**
 * Prints a usage line and exits with code 2.
 *
 * @param usage the usage text
 */
export function usage(usage: string): never {
  console.error(`usage: ${usage}`);
  Deno.exit(2);
}
