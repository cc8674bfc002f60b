/**
 * A few validator combinators for the hand-written registry descriptor:
 * small checks composed into {@linkcode Validator}s with the same issue
 * format as generated validators.
 *
 * @module
 */

import {
  describe,
  type ValidationIssue,
  type Validator,
} from "../wire/descriptors.ts";

/** A check of one value; same shape as a generated validator. */
export type Check = Validator;

/** Accepts anything. */
export const anything: Check = () => {};

/**
 * A string of at least `min` characters (and at most `max`).
 *
 * @param min the shortest length allowed
 * @param max the longest length allowed
 * @returns the check
 */
export function string(min = 0, max = Infinity): Check {
  return (v, path, issues) => {
    if (typeof v !== "string" || v.length < min || v.length > max) {
      issues.push({
        path,
        expected: min > 0 ? "non-empty string" : "string",
        received: typeof v === "string" && v.length > max
          ? `string of ${v.length} characters (max ${max})`
          : describe(v),
      });
    }
  };
}

/** A finite number. */
export const number: Check = (v, path, issues) => {
  if (typeof v !== "number" || !Number.isFinite(v)) {
    issues.push({ path, expected: "number", received: describe(v) });
  }
};

/** An integer >= 0. */
export const count: Check = (v, path, issues) => {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0) {
    issues.push({ path, expected: "integer >= 0", received: describe(v) });
  }
};

/** A boolean. */
export const boolean: Check = (v, path, issues) => {
  if (typeof v !== "boolean") {
    issues.push({ path, expected: "boolean", received: describe(v) });
  }
};

/**
 * One of some string literals.
 *
 * @param values the allowed strings
 * @returns the check
 */
export function oneOf(...values: string[]): Check {
  const expected = values.map((v) => JSON.stringify(v)).join(" | ");
  return (v, path, issues) => {
    if (typeof v !== "string" || !values.includes(v)) {
      issues.push({ path, expected, received: describe(v) });
    }
  };
}

/**
 * An array whose items all pass `item`.
 *
 * @param item the check of one item
 * @returns the check
 */
export function array(item: Check): Check {
  return (v, path, issues) => {
    if (!Array.isArray(v)) {
      issues.push({ path, expected: "array", received: describe(v) });
      return;
    }
    for (let i = 0; i < v.length; i++) item(v[i], `${path}[${i}]`, issues);
  };
}

/**
 * A plain object with these fields (all required; others are allowed).
 *
 * @param fields the check of each field
 * @returns the check
 */
export function object(fields: Record<string, Check>): Check {
  const entries = Object.entries(fields);
  return (v, path, issues) => {
    if (!isObject(v)) {
      issues.push({ path, expected: "object", received: describe(v) });
      return;
    }
    for (const [name, check] of entries) {
      check(v[name], `${path}.${name}`, issues);
    }
  };
}

/**
 * A value that may be absent (`undefined`); when present it must pass
 * `check`.
 *
 * @param check the check of a present value
 * @returns the check
 */
export function optional(check: Check): Check {
  return (v, path, issues) => {
    if (v !== undefined) check(v, path, issues);
  };
}

/** A plain object (a JSON Schema, say), not checked further. */
export const plainObject: Check = object({});

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * The argument array of a method: arity, then each argument. Optional
 * trailing arguments may be absent or `undefined`.
 *
 * @param checks one check per parameter
 * @param required how many leading parameters are required
 * @returns the validator of the argument array
 */
export function args(checks: Check[], required = checks.length): Validator {
  return (v, path, issues) => {
    if (!Array.isArray(v)) {
      issues.push({ path, expected: "array", received: describe(v) });
      return;
    }
    if (v.length < required || v.length > checks.length) {
      issues.push({
        path,
        expected: required === checks.length
          ? `${required} arguments`
          : `${required} to ${checks.length} arguments`,
        received: `${v.length} arguments`,
      });
      return;
    }
    for (let i = 0; i < v.length; i++) {
      if (i >= required && v[i] === undefined) continue;
      checks[i](v[i], `${path}[${i}]`, issues);
    }
  };
}

/**
 * Runs a check and returns the issues.
 *
 * @param check the check
 * @param value the value
 * @param path the root path
 * @returns the issues found (empty when valid)
 */
export function issuesOf(
  check: Check,
  value: unknown,
  path: string,
): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  check(value, path, issues);
  return issues;
}
