/**
 * Summaries of the raw figures the peers report, computed in one place so
 * that every stack is judged by the same arithmetic.
 *
 * @module
 */

/** One throughput trial as a peer reports it. */
export interface Trial {
  /** Messages echoed. */
  msgs: number;
  /** Seconds from the first send to the last echo. */
  seconds: number;
}

/** The figures for one stack, transport and payload size. */
export interface CaseSummary {
  /** Median round trip, microseconds. */
  rtt_median_us: number;
  /** 99th percentile round trip, microseconds. */
  rtt_p99_us: number;
  /** Mean round trip, microseconds. */
  rtt_mean_us: number;
  /** Fastest round trip, microseconds. */
  rtt_min_us: number;
  /** Round trips timed. */
  rtt_count: number;
  /** Median over the trials of echoed messages per second. */
  throughput_msgs: number;
  /** Every trial's messages per second, in run order. */
  throughput_trials_msgs: number[];
}

/**
 * The `q` quantile of sorted samples by the nearest-rank method.
 *
 * @param sorted samples in ascending order
 * @param q the quantile, between 0 and 1
 * @returns the sample at rank `ceil(q * n)`
 */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil(q * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

/**
 * Summarises the raw samples and trials of one case.
 *
 * @param rttUs round-trip samples in microseconds
 * @param trials throughput trials
 * @returns the summary
 */
export function summarise(rttUs: number[], trials: Trial[]): CaseSummary {
  const sorted = Float64Array.from(rttUs).sort();
  const mean = sorted.reduce((a, b) => a + b, 0) / sorted.length;
  const rates = trials.map((t) => t.msgs / t.seconds);
  const sortedRates = [...rates].sort((a, b) => a - b);
  return {
    rtt_median_us: round(quantile(sorted, 0.5), 1),
    rtt_p99_us: round(quantile(sorted, 0.99), 1),
    rtt_mean_us: round(mean, 1),
    rtt_min_us: round(sorted[0], 1),
    rtt_count: sorted.length,
    throughput_msgs: Math.round(quantile(sortedRates, 0.5)),
    throughput_trials_msgs: rates.map(Math.round),
  };
}
