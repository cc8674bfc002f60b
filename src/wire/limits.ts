/**
 * The limits that keep one request's cost bounded: how much an error quotes
 * and how large its reply may grow, how large a bigint may be, how far a
 * deadline may reach. `docs/PROTOCOL.md` §9 lists them for other clients.
 *
 * @module
 */

/** Validation issues sent in an error's details; the rest are counted. */
export const MAX_ISSUES = 20;

/**
 * Characters of one text field of an issue (path, expected, received)
 * sent in an error's details; longer ones are cut with `…`.
 */
export const MAX_ISSUE_TEXT = 200;

/**
 * Problems a check counts beyond the {@linkcode MAX_ISSUES} it keeps before
 * it stops looking: a value with more costs no more CPU (a 4 MB array of
 * bad elements would take seconds to walk), and the count it reports,
 * `omittedIssues`, is then a lower bound.
 */
export const MAX_COUNTED_ISSUES = 10_000;

/** Characters of an ERROR's message frame; a longer message is cut. */
export const MAX_ERROR_MESSAGE = 2048;

/**
 * Bytes of an ERROR's details frame; larger details are replaced by
 * `{"truncated": <their size in bytes>}` (validation details never get
 * there: they are capped issue by issue first).
 */
export const MAX_ERROR_DETAILS = 16384;

/**
 * The largest `bigint` a codec decodes, in bits: 8,192 (1,024 bytes of
 * msgpack extension data, 2,467 decimal digits in superjson). Checked on
 * the encoded size, before any conversion.
 */
export const MAX_BIGINT_BITS = 8192;

/** The longest decimal form of a bigint within {@linkcode MAX_BIGINT_BITS}. */
export const MAX_BIGINT_DIGITS = 2467;

/**
 * The most elements a server decodes in one request, by default (its
 * `maxElements` option): more are refused with `RESOURCE_EXHAUSTED` by a
 * scan of the bytes before decoding. `RpcClient` bounds each reply the
 * same way (its `maxElements` option, same default). One per value —
 * scalar, string, bin, array, map, map key, map value; a msgpack typed
 * array counts 16, an `Error` 128; a JSON array or object 4, a segment of a
 * superjson annotation path 1. At this cap the costliest payload decodes in
 * a few ms; large numeric data belongs in typed arrays (msgpack), which
 * count as one value whatever their length.
 */
export const MAX_ELEMENTS = 32_768;

/**
 * The embedded registry's `maxElements`: a `NodeInfo` may be 1 MiB of
 * JSON, and schemas run at 8–12 bytes per element, so the registry counts
 * up to 131,072 elements in one request (a `register`, an `update`, a
 * param value) before it refuses it.
 */
export const REGISTRY_MAX_ELEMENTS = 131_072;

/**
 * The longest deadline a server accepts, in ms: 2³¹−1 (24.8 days), the
 * longest delay a timer can represent. A REQUEST with a longer one gets
 * `INVALID_ARGUMENT`.
 */
export const MAX_DEADLINE_MS = 2 ** 31 - 1;

/**
 * Cuts a string to `max` characters, marking the cut with `…`.
 *
 * @param text the text
 * @param max the most characters kept
 * @returns `text`, or its head and `…`
 */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}
