// @ts-check
/**
 * The measurement loops of `deno task bench:rpc`, shared by every client
 * (Deno and Node) so that all stacks are timed by the same code and differ
 * only in what one call does. Plain JavaScript because Node 20 cannot run
 * TypeScript.
 *
 * A call is any `() => Promise<unknown>` that resolves with the reply.
 * Latency: sequential calls, one at a time, each timed. Throughput: a
 * closed loop of `k` workers, each starting its next call as soon as its
 * last one resolves, so that exactly `k` calls are in flight; a trial
 * stops at a duration or a count, whichever comes first, and waits for the
 * calls still in flight (they are counted).
 *
 * @module
 */

import { readdirSync, readFileSync } from "node:fs";
import process from "node:process";
import { checkReply } from "./_sample.mjs";

/**
 * What a client measures, as the driver passes it (one JSON argument).
 * @typedef {object} ClientPlan
 * @property {number} warmup untimed sequential calls before timing
 * @property {number} calls timed sequential calls
 * @property {number[]} concurrency calls in flight for each throughput case
 * @property {number} seconds the longest a throughput trial runs
 * @property {number} maxCalls the most calls a throughput trial makes
 * @property {number} trials throughput trials per case
 * @property {number} warmupSeconds untimed closed loop before each case
 * @property {number} [serverPid] the server's process id: each trial then
 *   reports the CPU time of server and client (Linux)
 */

/**
 * One throughput trial.
 * @typedef {object} Trial
 * @property {number} msgs calls completed
 * @property {number} seconds from the first call to the last reply
 * @property {number} [cpu_us] CPU time of the server and the client
 *   processes meanwhile, all threads, microseconds (with `serverPid`)
 */

/**
 * What a client reports.
 * @typedef {object} ClientResult
 * @property {number[]} rtt_us one time per sequential call, microseconds
 * @property {Record<string, Trial[]>} throughput trials by calls in flight
 */

/**
 * Parses the plan argument.
 *
 * @param {string | undefined} arg the JSON plan
 * @returns {ClientPlan} the plan
 */
export function parsePlan(arg) {
  const plan = JSON.parse(String(arg));
  for (const key of ["warmup", "calls", "seconds", "maxCalls", "trials"]) {
    if (typeof plan[key] !== "number" || !(plan[key] >= 0)) {
      throw new RangeError(`Cannot parse plan: bad ${key} ${plan[key]}`);
    }
  }
  if (!Array.isArray(plan.concurrency)) {
    throw new RangeError("Cannot parse plan: concurrency must be an array");
  }
  plan.warmupSeconds ??= 0.3;
  if (plan.serverPid !== undefined && !Number.isInteger(plan.serverPid)) {
    throw new RangeError(`Cannot parse plan: bad serverPid ${plan.serverPid}`);
  }
  return plan;
}

/**
 * `n` sequential calls; fills `samples` (microseconds) when given.
 *
 * @param {() => Promise<unknown>} call one call
 * @param {number} n how many
 * @param {Float64Array} [samples] where each time goes
 */
async function sequential(call, n, samples) {
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await call();
    if (samples !== undefined) samples[i] = (performance.now() - t0) * 1000;
  }
}

/**
 * The CPU time of a process so far, all its threads, from the scheduler's
 * nanosecond counts (`/proc/PID/task/TID/schedstat`): time it ran, not
 * time it waited for a CPU, so that other processes on the machine do not
 * decide it (clock ticks, as in `/proc/PID/stat`, are 10 ms: too coarse
 * for a one-second trial).
 *
 * @param {number} pid the process
 * @returns {number | undefined} nanoseconds, or `undefined` without /proc
 */
function cpuNs(pid) {
  try {
    let ns = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        const line = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8");
        ns += Number(line.split(" ")[0]);
      } catch {
        // the thread ended meanwhile
      }
    }
    return ns;
  } catch {
    return undefined;
  }
}

/**
 * CPU time of the client (this process) and a server, nanoseconds.
 *
 * @param {number | undefined} serverPid the server's process id
 * @returns {number | undefined} the sum, or `undefined` when not known
 */
function pairCpuNs(serverPid) {
  if (serverPid === undefined) return undefined;
  const server = cpuNs(serverPid);
  const client = cpuNs(process.pid);
  return server === undefined || client === undefined
    ? undefined
    : server + client;
}

/**
 * A closed loop of `k` workers for at most `seconds` and `maxCalls` calls.
 *
 * @param {() => Promise<unknown>} call one call
 * @param {number} k calls in flight
 * @param {number} seconds the longest it runs
 * @param {number} maxCalls the most calls it starts
 * @returns {Promise<Trial>} calls completed and elapsed seconds
 */
export async function closedLoop(call, k, seconds, maxCalls) {
  let started = 0;
  let done = 0;
  const t0 = performance.now();
  const until = t0 + seconds * 1000;
  const worker = async () => {
    while (started < maxCalls && performance.now() < until) {
      started++;
      await call();
      done++;
    }
  };
  const workers = [];
  for (let i = 0; i < k; i++) workers.push(worker());
  await Promise.all(workers);
  return { msgs: done, seconds: (performance.now() - t0) / 1000 };
}

/**
 * Runs the whole plan: checks one reply, warms up, times sequential calls,
 * then the throughput cases, and checks one reply again.
 *
 * @param {() => Promise<unknown>} call one call, resolving with the reply
 * @param {ClientPlan} plan what to measure
 * @param {(reply: unknown) => void} [check] throws on a wrong reply;
 *   default: it must be the reply to `SAMPLE`
 * @returns {Promise<ClientResult>} the raw figures
 */
export async function measure(call, plan, check = checkReply) {
  check(await call());
  await sequential(call, plan.warmup);
  const samples = new Float64Array(plan.calls);
  await sequential(call, plan.calls, samples);
  /** @type {Record<string, Trial[]>} */
  const throughput = {};
  for (const k of plan.concurrency) {
    await closedLoop(call, k, plan.warmupSeconds, plan.maxCalls);
    const trials = [];
    for (let t = 0; t < plan.trials; t++) {
      const before = pairCpuNs(plan.serverPid);
      const trial = await closedLoop(call, k, plan.seconds, plan.maxCalls);
      const after = pairCpuNs(plan.serverPid);
      if (before !== undefined && after !== undefined) {
        trial.cpu_us = Math.round((after - before) / 1000);
      }
      trials.push(trial);
    }
    throughput[String(k)] = trials;
  }
  check(await call());
  return {
    rtt_us: Array.from(samples, (v) => Math.round(v * 1000) / 1000),
    throughput,
  };
}
