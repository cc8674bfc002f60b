/**
 * One sleep for zmp, with one behaviour on abort.
 *
 * @module
 */

/**
 * Waits `ms` milliseconds. When `signal` aborts first (or has already
 * aborted), rejects with the signal's reason (an `AbortError`
 * `DOMException` unless the caller gave another), like every other
 * abortable wait in zmp. No timer is left behind either way.
 *
 * @param ms how long to wait
 * @param signal cuts the wait short
 * @returns once the time is up
 * @throws the signal's reason when it aborts
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
