/**
 * The services of `deno task bench:rpc`: the same unary echo twice, once
 * per codec, so that the benchmark measures the codec and nothing else.
 * `deno task codegen bench/rpc/bench.api.ts` turns it into
 * `bench.api.gen.ts` and `bench.api.schema.json`.
 *
 * @module
 */

/** The small object every stack sends and gets back. */
export interface Sample {
  id: number;
  name: string;
  values: number[];
}

/**
 * Unary echo with the default codec (msgpack).
 * @service zmp.bench.BenchMsgpack
 */
export interface BenchMsgpack {
  /** Returns a copy of `sample`. */
  echo(sample: Sample): Promise<Sample>;
}

/**
 * Unary echo with the superjson codec.
 * @service zmp.bench.BenchSuperjson
 * @codec superjson
 */
export interface BenchSuperjson {
  /** Returns a copy of `sample`. */
  echo(sample: Sample): Promise<Sample>;
}
