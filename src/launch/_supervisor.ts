/**
 * The supervisor of one node: waits for its `after` conditions, starts it,
 * restarts it by its policy with backoff, and stops it (the stop request;
 * after the grace period SIGTERM for a subprocess, then a kill).
 *
 * Each node gets a registration token of its own, made here and handed to
 * every run of it: a restart takes the name back from a run that died
 * without unregistering at once, and no other process can register the
 * name while that lease lasts (see `RegisterOptions.token`).
 *
 * @module
 */

import { sleep } from "../_util/sleep.ts";
import { Backoff } from "./_backoff.ts";
import { describeCondition, satisfied } from "./_after.ts";
import type { RegistryView } from "../registry/view.ts";
import { type NodeRun, type RunContext, startRun } from "./_runners.ts";
import type { ResolvedNode } from "./_validate.ts";
import { newToken } from "../registry/_token.ts";

/** How a node's supervision ended. */
export type NodeOutcome =
  /** It exited 0 by itself and was not restarted. */
  | { status: "done"; code: 0 }
  /** It failed beyond its restart policy. */
  | { status: "failed"; code: number; reason: string }
  /** The launcher stopped it (or it never started because of a stop). */
  | { status: "stopped"; code?: number };

/** What a supervisor needs from the launch. */
export interface SupervisorContext extends RunContext {
  /** ms between the stop request and the kill. */
  gracePeriod: number;
  /** The registry, for `after` conditions. */
  view: RegistryView;
}

/**
 * How long a subprocess that did not stop within the grace period gets
 * after SIGTERM before SIGKILL, in ms (at most the grace period itself).
 */
const TERM_TO_KILL_MS = 1000;
/** A process ended by SIGTERM's default action: 128 + 15. */
const SIGTERM_EXIT = 143;

/** How often a node still waiting for its `after` conditions is reported. */
const AFTER_REMINDER_MS = 10000;

/** Supervises one node from its first start to its end. */
export class Supervisor {
  /** The node. */
  readonly node: ResolvedNode;
  /** Resolves when supervision ends. Never rejects. */
  readonly outcome: Promise<NodeOutcome>;
  readonly #ctx: SupervisorContext;
  /** The node's registration token, the same for every run. */
  readonly #token = newToken();
  readonly #abort = new AbortController();
  #run: NodeRun | undefined;
  #stopping = false;
  #killing = false;
  #stopped: Promise<void> | undefined;

  /**
   * Starts supervising at once.
   *
   * @param node the node
   * @param ctx the launch's registry, logger and grace period
   */
  constructor(node: ResolvedNode, ctx: SupervisorContext) {
    this.node = node;
    this.#ctx = ctx;
    this.outcome = this.#loop().catch((e: unknown) => ({
      status: "failed" as const,
      code: 1,
      reason: e instanceof Error ? e.message : String(e),
    }));
  }

  /** The run in progress, if any. */
  get running(): NodeRun | undefined {
    return this.#run;
  }

  #log(level: "info" | "warn" | "error", message: string): void {
    this.#ctx.logger.log(level, message);
  }

  async #loop(): Promise<NodeOutcome> {
    const { node } = this;
    const signal = this.#abort.signal;
    if (node.after.length > 0) {
      const what = node.after.map(describeCondition).join(", ");
      this.#log("info", `${node.name} waits for ${what}`);
      const since = Date.now();
      const reminder = setInterval(() => {
        const s = Math.round((Date.now() - since) / 1000);
        this.#log("warn", `${node.name} still waits for ${what} (${s} s)`);
      }, AFTER_REMINDER_MS);
      try {
        await this.#ctx.view.until(
          (nodes) => node.after.every((c) => satisfied(c, nodes)),
          { signal },
        );
      } catch {
        return { status: "stopped" };
      } finally {
        clearInterval(reminder);
      }
    }
    const backoff = new Backoff(node.restart);
    for (;;) {
      if (this.#stopping) return { status: "stopped" };
      const startedAt = Date.now();
      let run: NodeRun;
      try {
        run = startRun(node, { ...this.#ctx, registryToken: this.#token });
      } catch (e) {
        const reason = `cannot start: ${
          e instanceof Error ? e.message : String(e)
        }`;
        this.#log("error", `${node.name} ${reason}`);
        return { status: "failed", code: 1, reason };
      }
      this.#run = run;
      const again = backoff.restarts > 0 ? `, restart ${backoff.restarts}` : "";
      this.#log(
        "info",
        `started ${node.name} (${node.mode}, pid ${run.pid}${again})`,
      );
      if (this.#stopping) this.#stopped ??= this.#stopRun(run);
      const code = await run.exited;
      this.#run = undefined;
      if (this.#stopping) {
        await this.#stopped;
        return { status: "stopped", code };
      }
      const decision = backoff.next(code, Date.now() - startedAt);
      if (decision.action === "done") {
        this.#log("info", `${node.name} exited cleanly`);
        return { status: "done", code: 0 };
      }
      if (decision.action === "fail") {
        this.#log("error", `${node.name} failed: ${decision.reason}`);
        return { status: "failed", code, reason: decision.reason };
      }
      this.#log(
        "warn",
        `${node.name} exited with code ${code}; restarting in ${decision.delay} ms (restart ${decision.attempt} of ${decision.limit})`,
      );
      try {
        await sleep(decision.delay, signal);
      } catch {
        return { status: "stopped", code };
      }
    }
  }

  async #stopRun(run: NodeRun): Promise<void> {
    const { node } = this;
    const grace = this.#ctx.gracePeriod;
    let terminated = false;
    if (this.#killing) {
      run.kill();
    } else {
      run.stop();
      if (!await this.#endsWithin(run, grace)) {
        if (run.terminate === undefined) {
          this.#log(
            "warn",
            `${node.name} did not stop within ${grace} ms: killing it`,
          );
          run.kill();
        } else {
          this.#log(
            "warn",
            `${node.name} did not stop within ${grace} ms: sending SIGTERM`,
          );
          run.terminate();
          terminated = true;
          const last = Math.min(grace, TERM_TO_KILL_MS);
          if (!await this.#endsWithin(run, last)) {
            this.#log(
              "warn",
              `${node.name} still runs ${last} ms after SIGTERM: killing it`,
            );
            run.kill();
          }
        }
      }
    }
    const code = await run.exited;
    this.#log(
      "info",
      terminated && code === SIGTERM_EXIT
        // Deno's default action: its stop handler was not installed yet.
        ? `stopped ${node.name} while it was starting (SIGTERM, exit code ${code})`
        : `stopped ${node.name} (exit code ${code})`,
    );
  }

  /** Whether `run` ends within `ms`. */
  async #endsWithin(run: NodeRun, ms: number): Promise<boolean> {
    const timeout = new AbortController();
    try {
      return await Promise.race([
        run.exited.then(() => true),
        sleep(ms, timeout.signal).then(() => false, () => true),
      ]);
    } finally {
      timeout.abort();
    }
  }

  /**
   * Stops the node: no more restarts, the stop request, then once the
   * grace period is over SIGTERM (a subprocess) and a kill. Idempotent.
   *
   * @returns once the node has ended
   */
  async stop(): Promise<NodeOutcome> {
    this.#stopping = true;
    this.#abort.abort();
    if (this.#run) this.#stopped ??= this.#stopRun(this.#run);
    return await this.outcome;
  }

  /** Kills the node now, without a grace period. */
  kill(): void {
    this.#stopping = true;
    this.#killing = true;
    this.#abort.abort();
    this.#run?.kill();
  }
}
