/**
 * `deno task demo`: explains what is about to run, runs
 * `examples/demo/launch.ts` through the launcher (the same as
 * `deno task zmp launch examples/demo/launch.ts`), then sums up.
 *
 * @module
 */

import { main as zmp } from "../../src/cli/main.ts";

const bold = (s: string) =>
  Deno.stdout.isTerminal() && !Deno.env.get("NO_COLOR")
    ? `\x1b[1m${s}\x1b[0m`
    : s;

console.log(`
${
  bold("zmp demo")
}: seven nodes, each its own Deno process, talking over ZeroMQ.

The launcher starts a registry (where nodes find each other), then:
  calc-1, calc-2   provide the Calculator ${bold("service")}; client calls it by
                   name and the calls are spread over both instances
  producer         publishes temperature readings on the sensors/raw ${
  bold("topic")
}
  filter           smooths them onto sensors/filtered, using the ${
  bold("params")
}
                   filter.alpha and filter.threshold
  sink             prints every 5th filtered reading
  tuner            at reading #30 finds the filter too slow and sets
                   filter.alpha from 0.05 to 0.5: watch the filtered value
                   catch up with the raw one
Each line is prefixed with the node that printed it ("launch" is the
launcher). When the sink is done, everything stops in reverse order.
`);

const file = new URL("./launch.ts", import.meta.url).pathname;
// The demo tells one story from the start every time: no params file (a
// launch otherwise keeps its params beside the launch file).
const code = await zmp(["launch", "--no-params", file]);
if (code === 0) {
  console.log(`
${bold("That was zmp.")} Every message was type-checked at compile time and
validated at run time from the TypeScript types in
examples/calculator/calculator.api.ts and examples/sensors/sensors.api.ts
(deno task codegen generated the rest). Next:
  deno task zmp launch examples/sensors/launch.ts
  deno task zmp launch --help
`);
}
Deno.exit(code);
