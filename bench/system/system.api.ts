/**
 * The message of the topic benchmark (`deno task bench:system`).
 * Regenerate with `deno task codegen bench/system/system.api.ts`.
 *
 * @module
 */

/**
 * One benchmark message: `kind` 0 warms up, 1 is measured, 2 ends a trial.
 * @topic bench/blob
 */
export interface Blob {
  kind: number;
  seq: number;
  /** Wall-clock send time in ms (`performance.timeOrigin + performance.now()`). */
  sentAt: number;
  payload: Uint8Array;
}
