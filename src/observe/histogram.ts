/**
 * `LatencyHistogram`: call durations in fixed, log-spaced buckets, cheap
 * enough to update on every call (one `Math.log2`, one increment) and
 * small enough to send whole.
 *
 * Bucket `i` counts durations up to `BASE_MS × 2^(i/4)` ms: four buckets
 * per doubling, from 10 µs to about 168 s, so that a quantile read from
 * the buckets is within 19% of the true value. The last bucket counts
 * everything longer.
 *
 * @module
 */

/** Upper bound of bucket 0, in ms. */
export const BASE_MS = 0.01;
/** Buckets per doubling. */
export const STEPS_PER_DOUBLING = 4;
/** Number of buckets, the overflow bucket included. */
export const BUCKETS = 97;

const LAST = BUCKETS - 1;

/**
 * The upper bound of bucket `i`, in ms (`Infinity` for the last one).
 *
 * @param i the bucket index
 * @returns its upper bound
 */
export function bucketBound(i: number): number {
  return i >= LAST ? Infinity : BASE_MS * 2 ** (i / STEPS_PER_DOUBLING);
}

/**
 * The bucket of a duration.
 *
 * @param ms the duration in ms
 * @returns the index of the first bucket whose bound is at least `ms`
 */
export function bucketOf(ms: number): number {
  if (!(ms > BASE_MS)) return 0;
  const i = Math.ceil(STEPS_PER_DOUBLING * Math.log2(ms / BASE_MS) - 1e-9);
  return i > LAST ? LAST : i;
}

/**
 * A histogram as it travels: `[bucket, count]` pairs for the buckets that
 * are not empty, with the count and the sum of every duration.
 */
export interface HistogramSnapshot {
  /** Durations recorded. */
  count: number;
  /** Their sum, in ms. */
  sumMs: number;
  /** `[bucket index, count]` for every bucket with a count, in order. */
  buckets: [number, number][];
}

/** Durations in log-spaced buckets; see the module doc. */
export class LatencyHistogram {
  /** Count per bucket. */
  readonly counts: Float64Array = new Float64Array(BUCKETS);
  /** Durations recorded. */
  count = 0;
  /** Their sum, in ms. */
  sumMs = 0;

  /**
   * Records one duration.
   *
   * @param ms the duration in ms
   */
  record(ms: number): void {
    this.counts[bucketOf(ms)]++;
    this.count++;
    this.sumMs += ms;
  }

  /**
   * The histogram as it travels.
   *
   * @returns the non-empty buckets, count and sum
   */
  snapshot(): HistogramSnapshot {
    const buckets: [number, number][] = [];
    for (let i = 0; i < BUCKETS; i++) {
      if (this.counts[i] > 0) buckets.push([i, this.counts[i]]);
    }
    return { count: this.count, sumMs: this.sumMs, buckets };
  }
}

/**
 * The durations recorded between two snapshots of the same histogram, e.g.
 * over the last second.
 *
 * @param now the later snapshot
 * @param before the earlier one (absent: since the start)
 * @returns `now − before`, bucket by bucket
 */
export function histogramDelta(
  now: HistogramSnapshot,
  before?: HistogramSnapshot,
): HistogramSnapshot {
  if (before === undefined) return now;
  const earlier = new Map(before.buckets);
  const buckets: [number, number][] = [];
  for (const [i, n] of now.buckets) {
    const d = n - (earlier.get(i) ?? 0);
    if (d > 0) buckets.push([i, d]);
  }
  return {
    count: Math.max(0, now.count - before.count),
    sumMs: Math.max(0, now.sumMs - before.sumMs),
    buckets,
  };
}

/**
 * A quantile read from the buckets, interpolated inside the bucket it
 * falls in (within 19% of the true value up to ~168 s).
 *
 * @param histogram a snapshot
 * @param q the quantile, 0 to 1 (0.5 for the median, 0.99 for p99)
 * @returns the duration in ms, or `undefined` when nothing was recorded
 * @throws {RangeError} unless `0 <= q <= 1`
 */
export function quantile(
  histogram: HistogramSnapshot,
  q: number,
): number | undefined {
  if (!(q >= 0 && q <= 1)) {
    throw new RangeError(`Cannot read quantile ${q}: it must be 0 to 1`);
  }
  const total = histogram.buckets.reduce((s, [, n]) => s + n, 0);
  if (total === 0) return undefined;
  const rank = q * total;
  let seen = 0;
  for (const [i, n] of histogram.buckets) {
    if (seen + n >= rank) {
      const low = i === 0 ? 0 : bucketBound(i - 1);
      const high = i >= LAST ? low * 2 : bucketBound(i);
      return low + (high - low) * Math.min(1, (rank - seen) / n);
    }
    seen += n;
  }
  return bucketBound(LAST - 1);
}
