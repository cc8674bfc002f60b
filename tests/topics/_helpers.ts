/**
 * Helpers for topic tests: raw topic frames built from the protocol
 * document (not from the implementation), and reading an iterator with a
 * deadline.
 *
 * @module
 */

import { AssertionError } from "../_assert.ts";

/** The frames of a topic message, built byte by byte as PROTOCOL.md says. */
export function rawMessage(
  topic: string,
  init: { publisher: number; seq: number; codec?: number; flags?: number },
  payload: Uint8Array,
): Uint8Array[] {
  const name = new TextEncoder().encode(`${topic}\0`);
  const header = new Uint8Array(16);
  const view = new DataView(header.buffer);
  header[0] = 1;
  header[1] = 0x0a;
  header[2] = init.codec ?? 1;
  header[3] = init.flags ?? 0;
  view.setUint32(4, init.publisher);
  view.setBigUint64(8, BigInt(init.seq));
  return [name, header, payload];
}

/** Takes the next value of `iterator`, failing after `timeout` ms. */
export async function next<T>(
  iterator: AsyncIterator<T>,
  what = "a message",
  timeout = 5000,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const result = await Promise.race([
      iterator.next(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new AssertionError(
                `timed out after ${timeout} ms waiting for ${what}`,
              ),
            ),
          timeout,
        );
      }),
    ]);
    if (result.done) {
      throw new AssertionError(`the iterator ended before ${what}`);
    }
    return result.value;
  } finally {
    clearTimeout(timer);
  }
}
