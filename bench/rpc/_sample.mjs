// @ts-check
/**
 * The one payload every stack of `deno task bench:rpc` carries, and the
 * reply every server builds from it, shared by the Deno peers and the Node
 * gRPC peer so that all of them move the same object.
 *
 * @module
 */

/**
 * The request: a small object (see `Sample` in `bench.api.ts`).
 * @type {{ id: number, name: string, values: number[] }}
 */
export const SAMPLE = Object.freeze({
  id: 42,
  name: "sample",
  values: [1, 2.5, 3],
});

/**
 * What every server answers: a fresh object with the same fields.
 *
 * @param {{ id: number, name: string, values: number[] }} sample the request
 * @returns {{ id: number, name: string, values: number[] }} the reply
 */
export function reply(sample) {
  return { id: sample.id, name: sample.name, values: sample.values };
}

/**
 * Throws unless `value` is the reply to {@link SAMPLE}, so that a stack
 * that answers the wrong thing fails instead of looking fast.
 *
 * @param {unknown} value a reply
 */
export function checkReply(value) {
  const got = JSON.stringify(value);
  const want = JSON.stringify(reply(SAMPLE));
  if (got !== want) {
    throw new Error(`Wrong reply: expected ${want}, got ${got}`);
  }
}
