/**
 * Test assertions. `@std/assert` lives on JSR, which is out of reach here,
 * so the test suite has its own small set with the same names and meaning.
 *
 * @module
 */

import { inspect, isDeepStrictEqual } from "node:util";

/** Raised by a failed assertion. */
export class AssertionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AssertionError";
  }
}

/** Fails unless `actual` and `expected` are deeply, strictly equal. */
export function assertEquals<T>(actual: T, expected: T, msg?: string): void {
  if (!isDeepStrictEqual(actual, expected)) {
    throw new AssertionError(
      `${msg ? `${msg}: ` : ""}values are not equal\n  actual:   ${
        inspect(actual, { depth: 6 })
      }\n  expected: ${inspect(expected, { depth: 6 })}`,
    );
  }
}

/** Fails if `actual` and `expected` are deeply equal. */
export function assertNotEquals<T>(actual: T, expected: T, msg?: string): void {
  if (isDeepStrictEqual(actual, expected)) {
    throw new AssertionError(
      `${msg ? `${msg}: ` : ""}values are equal: ${inspect(actual)}`,
    );
  }
}

/** Fails unless `cond` is truthy. */
export function assert(cond: unknown, msg = "assertion failed"): asserts cond {
  if (!cond) throw new AssertionError(msg);
}

/** Fails unless `actual` includes `expected`. */
export function assertStringIncludes(
  actual: string,
  expected: string,
  msg?: string,
): void {
  if (!actual.includes(expected)) {
    throw new AssertionError(
      `${msg ? `${msg}: ` : ""}expected ${inspect(actual)} to include ${
        inspect(expected)
      }`,
    );
  }
}

/** Fails unless `actual` matches `re`. */
export function assertMatch(actual: string, re: RegExp, msg?: string): void {
  if (!re.test(actual)) {
    throw new AssertionError(
      `${msg ? `${msg}: ` : ""}expected ${inspect(actual)} to match ${re}`,
    );
  }
}

// deno-lint-ignore no-explicit-any
type ErrorClass<E extends Error> = new (...args: any[]) => E;

/**
 * Fails unless `fn` throws an instance of `ErrorClass` (whose message
 * includes `msgIncludes`, when given); returns the error.
 */
export function assertThrows<E extends Error = Error>(
  fn: () => unknown,
  ErrorClass?: ErrorClass<E>,
  msgIncludes?: string,
): E {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  return checkError(thrown, ErrorClass, msgIncludes, "throw");
}

/**
 * Fails unless `fn()` rejects with an instance of `ErrorClass` (whose
 * message includes `msgIncludes`, when given); returns the error.
 */
export async function assertRejects<E extends Error = Error>(
  fn: () => PromiseLike<unknown>,
  ErrorClass?: ErrorClass<E>,
  msgIncludes?: string,
): Promise<E> {
  let thrown: unknown;
  let threw = false;
  try {
    await fn();
  } catch (e) {
    thrown = e;
    threw = true;
  }
  if (!threw) throw new AssertionError("expected the promise to reject");
  return checkError(thrown, ErrorClass, msgIncludes, "reject");
}

function checkError<E extends Error>(
  thrown: unknown,
  ErrorClass: ErrorClass<E> | undefined,
  msgIncludes: string | undefined,
  verb: string,
): E {
  if (thrown === undefined) {
    throw new AssertionError(`expected the function to ${verb}`);
  }
  if (ErrorClass && !(thrown instanceof ErrorClass)) {
    throw new AssertionError(
      `expected ${verb} of ${ErrorClass.name}, got ${inspect(thrown)}`,
    );
  }
  if (
    msgIncludes !== undefined &&
    !(thrown instanceof Error && thrown.message.includes(msgIncludes))
  ) {
    throw new AssertionError(
      `expected the error message to include ${inspect(msgIncludes)}, got ${
        inspect(thrown instanceof Error ? thrown.message : thrown)
      }`,
    );
  }
  return thrown as E;
}

/**
 * Waits until `cond()` is truthy, polling every `interval` ms; fails after
 * `timeout` ms with `what` in the message. No fixed sleeps in tests.
 */
export async function waitFor(
  cond: () => unknown | Promise<unknown>,
  what: string,
  { timeout = 5000, interval = 10 } = {},
): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!(await cond())) {
    if (Date.now() > deadline) {
      throw new AssertionError(
        `timed out after ${timeout} ms waiting for ${what}`,
      );
    }
    await new Promise((r) => setTimeout(r, interval));
  }
}
