// @ts-check
/**
 * The measurement loops shared by the zmp (Deno) and zeromq.js (Node)
 * peers, so that both JavaScript stacks run byte-for-byte the same code and
 * differ only in the socket library underneath. Plain JavaScript because
 * Node 20 cannot run TypeScript.
 *
 * Both libraries expose the same minimal surface: `send(frames)` and
 * `receive()` returning promises. The loops use `receive()` directly rather
 * than async iteration, to time the transport rather than generators.
 *
 * @module
 */

/**
 * The socket surface both libraries share.
 * @typedef {object} EchoSocket
 * @property {(frames: Uint8Array | Uint8Array[]) => Promise<void>} send
 * @property {() => Promise<Uint8Array[]>} receive
 */

/**
 * What a client measures, as given on its command line.
 * @typedef {object} ClientPlan
 * @property {number[]} sizes payload sizes in bytes
 * @property {number} rtt sequential round trips timed per size
 * @property {number} warmup untimed round trips before timing
 * @property {number} msgs messages per throughput trial
 * @property {number} window most messages in flight at once
 * @property {number} trials throughput trials per size
 */

/**
 * Round-trip samples and throughput trials for one payload size.
 * @typedef {object} SizeResult
 * @property {number[]} rtt_us one round-trip time per message, microseconds
 * @property {{ msgs: number, seconds: number }[]} trials throughput trials
 */

/**
 * Parses `client ENDPOINT SIZES RTT WARMUP MSGS WINDOW TRIALS` (the same
 * arguments the C peer takes).
 *
 * @param {string[]} args the arguments after `client ENDPOINT`
 * @returns {ClientPlan} the plan
 */
export function parsePlan(args) {
  const [sizes, rtt, warmup, msgs, window, trials] = args;
  const n = (/** @type {string | undefined} */ s) => {
    const v = Number(s);
    if (!Number.isInteger(v) || v < 0) {
      throw new RangeError(`Cannot parse plan: bad number ${String(s)}`);
    }
    return v;
  };
  return {
    sizes: String(sizes).split(",").map(n),
    rtt: n(rtt),
    warmup: n(warmup),
    msgs: n(msgs),
    window: Math.max(1, n(window)),
    trials: n(trials),
  };
}

/**
 * Echoes every message back to its sender until the socket fails (closed
 * or the process is killed).
 *
 * @param {EchoSocket} router a bound ROUTER
 * @returns {Promise<void>} never resolves while the socket is open
 */
export async function echo(router) {
  for (;;) {
    const msg = await router.receive();
    await router.send(msg);
  }
}

/**
 * `n` sequential round trips; fills `samples` (microseconds) when given.
 *
 * @param {EchoSocket} dealer a connected DEALER
 * @param {Uint8Array} payload the message
 * @param {number} n how many
 * @param {Float64Array} [samples] where to store each round-trip time
 */
async function roundTrips(dealer, payload, n, samples) {
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await dealer.send(payload);
    await dealer.receive();
    if (samples !== undefined) samples[i] = (performance.now() - t0) * 1000;
  }
}

/**
 * Sends `n` messages with at most `window` in flight and waits for all the
 * echoes: one loop sends, one receives, as an application would.
 *
 * @param {EchoSocket} dealer a connected DEALER
 * @param {Uint8Array} payload the message
 * @param {number} n how many
 * @param {number} window most messages in flight
 * @returns {Promise<number>} elapsed seconds
 */
async function pipelined(dealer, payload, n, window) {
  let sent = 0;
  let received = 0;
  /** @type {(() => void) | undefined} */
  let wake;
  const t0 = performance.now();
  const receiving = (async () => {
    while (received < n) {
      await dealer.receive();
      received++;
      if (wake !== undefined) {
        const w = wake;
        wake = undefined;
        w();
      }
    }
  })();
  while (sent < n) {
    if (sent - received >= window) {
      await new Promise((resolve) => {
        wake = () => resolve(undefined);
      });
      continue;
    }
    await dealer.send(payload);
    sent++;
  }
  await receiving;
  return (performance.now() - t0) / 1000;
}

/**
 * Runs the whole plan against an echo server.
 *
 * @param {EchoSocket} dealer a connected DEALER
 * @param {ClientPlan} plan what to measure
 * @returns {Promise<Record<string, SizeResult>>} results keyed by size
 */
export async function measure(dealer, plan) {
  /** @type {Record<string, SizeResult>} */
  const results = {};
  for (const size of plan.sizes) {
    const payload = new Uint8Array(size).fill(0x78);
    await roundTrips(dealer, payload, plan.warmup);
    const samples = new Float64Array(plan.rtt);
    await roundTrips(dealer, payload, plan.rtt, samples);
    await pipelined(dealer, payload, Math.ceil(plan.msgs / 10), plan.window);
    const trials = [];
    for (let t = 0; t < plan.trials; t++) {
      const seconds = await pipelined(dealer, payload, plan.msgs, plan.window);
      trials.push({ msgs: plan.msgs, seconds });
    }
    results[String(size)] = {
      rtt_us: Array.from(samples, (v) => Math.round(v * 1000) / 1000),
      trials,
    };
  }
  return results;
}
