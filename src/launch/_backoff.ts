/**
 * Restart decisions: whether a node that ended is started again, and after
 * how long.
 *
 * @module
 */

import type { ResolvedRestart } from "./_validate.ts";

/** What to do after a node ended by itself. */
export type RestartDecision =
  /** It ended cleanly and is not restarted: the node is done. */
  | { action: "done" }
  /** It failed and may not be restarted (policy, or limit reached). */
  | { action: "fail"; reason: string }
  /** Start it again after `delay` ms; this is restart `attempt` of `limit`. */
  | { action: "restart"; delay: number; attempt: number; limit: number };

/**
 * The backoff state of one node: consecutive restarts, reset by a run that
 * lasted `resetAfter` ms.
 */
export class Backoff {
  readonly #policy: ResolvedRestart;
  #restarts = 0;

  /** @param policy the node's restart policy */
  constructor(policy: ResolvedRestart) {
    this.#policy = policy;
  }

  /** Restarts in a row so far. */
  get restarts(): number {
    return this.#restarts;
  }

  /**
   * Decides what follows a run.
   *
   * @param code the exit code (0 is clean)
   * @param ranFor how long the run lasted, in ms
   * @returns the decision; a restart counts towards the limit
   */
  next(code: number, ranFor: number): RestartDecision {
    const p = this.#policy;
    if (ranFor >= p.resetAfter) this.#restarts = 0;
    const failed = code !== 0;
    const wanted = p.policy === "always" ||
      (p.policy === "on-failure" && failed);
    if (!wanted) {
      return failed
        ? { action: "fail", reason: `exited with code ${code}` }
        : { action: "done" };
    }
    if (this.#restarts >= p.maxRestarts) {
      // Out of restarts: a clean exit is still clean.
      if (!failed) return { action: "done" };
      return {
        action: "fail",
        reason: `exited with code ${code} after ${this.#restarts} restart${
          this.#restarts === 1 ? "" : "s"
        } (limit ${p.maxRestarts})`,
      };
    }
    const delay = Math.min(
      p.maxDelay,
      p.initialDelay * p.factor ** this.#restarts,
    );
    this.#restarts++;
    return {
      action: "restart",
      delay,
      attempt: this.#restarts,
      limit: p.maxRestarts,
    };
  }
}
