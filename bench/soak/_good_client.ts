/**
 * The soak's good registry client in its own process, for
 * `bench/soak/memory.ts`: one watch of the nodes, and `nodes()` every
 * 20 ms, until killed. Prints `ready` once the watch is open.
 *
 *     deno run -A bench/soak/_good_client.ts <registry endpoint>
 *
 * @module
 */

import { connectRegistry } from "../../mod.ts";

const registry = await connectRegistry({ endpoint: Deno.args[0] });
const events = registry.watch()[Symbol.asyncIterator]();
await events.next(); // the snapshot
(async () => {
  try {
    while (!(await events.next()).done) { /* keep reading */ }
  } catch {
    // the registry went away: this process is killed soon
  }
})();
console.log("ready");
for (;;) {
  try {
    await registry.nodes({ timeout: 5000 });
  } catch {
    // counted by bench:soak, not here
  }
  await new Promise((r) => setTimeout(r, 20));
}
