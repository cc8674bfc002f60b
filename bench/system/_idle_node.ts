/**
 * A node that registers and waits to be stopped: the unit of the
 * "launch 20 nodes" measurement.
 *
 * @module
 */

import { defineNode } from "../../mod.ts";

export default defineNode(() => {});
