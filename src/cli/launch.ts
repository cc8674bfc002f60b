/**
 * `zmp launch <file>`: runs a launch file (see `src/launch/`).
 *
 * @module
 */

export { launchMain as main } from "../launch/main.ts";
