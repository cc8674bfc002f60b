/**
 * Registers the whole transport suite for one engine run: every case file
 * when one engine serves both sides, the cases that cross a wire when two
 * engines meet.
 *
 * @module
 */

import type { EngineName } from "../../src/zmq/mod.ts";
import { engineRun } from "./_suite.ts";
import { backpressureCases } from "./cases/backpressure.ts";
import { closeCases } from "./cases/close.ts";
import { curveCases } from "./cases/curve.ts";
import { errorsCases } from "./cases/errors.ts";
import { fairnessCases } from "./cases/fairness.ts";
import { many_socketsCases } from "./cases/many_sockets.ts";
import { monitorCases } from "./cases/monitor.ts";
import { optionsCases } from "./cases/options.ts";
import { patternsCases } from "./cases/patterns.ts";
import { pipelineCases } from "./cases/pipeline.ts";
import { smokeCases } from "./cases/smoke.ts";

/**
 * Registers the suite with binding sockets on `server` and connecting
 * sockets on `client`.
 */
export function registerSuite(server: EngineName, client: EngineName): void {
  const run = engineRun(server, client);
  smokeCases(run);
  patternsCases(run);
  backpressureCases(run);
  fairnessCases(run);
  monitorCases(run);
  pipelineCases(run);
  curveCases(run);
  if (!run.single) return;
  closeCases(run);
  errorsCases(run);
  optionsCases(run);
  many_socketsCases(run);
}
