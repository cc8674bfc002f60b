/**
 * A standalone calculator server: `deno run -A examples/calculator/server.ts
 * [endpoint]`. Prints the endpoint it listens on, serves until Ctrl-C.
 *
 * With the registry and launcher, the same implementation runs as a node:
 * see `launch.ts`.
 *
 * @module
 */

import { RpcServer } from "../../mod.ts";
import { serveCalculator } from "./calculator.api.gen.ts";
import { calculator } from "./calculator.ts";

const endpoint = Deno.args[0] ?? "tcp://127.0.0.1:5555";
const server = new RpcServer();
serveCalculator(server, calculator);
let bound: string;
try {
  bound = server.bind(endpoint);
} catch (e) {
  console.error(`calculator server: ${(e as Error).message}`);
  await server.close();
  Deno.exit(1);
}
console.log(`calculator server listening on ${bound}`);

const stop = async () => {
  await server.close({ drainTimeout: 2000 });
  console.log("calculator server stopped");
  Deno.exit(0);
};
Deno.addSignalListener("SIGINT", stop);
Deno.addSignalListener("SIGTERM", stop);
