/**
 * The calculator service: a small tour of what a zmp definition file says.
 * `deno task codegen examples/calculator/calculator.api.ts` turns it into
 * `calculator.api.gen.ts` (client, server skeleton, validators) and
 * `calculator.api.schema.json`.
 *
 * @module
 */

/** An arithmetic expression, as a tree: a discriminated union on `op`. */
export type Expression =
  | { op: "num"; value: number }
  | { op: "add" | "mul"; args: Expression[] }
  | { op: "neg"; arg: Expression };

/** What `evaluate` needs: the expression, plus how to round the result. */
export interface EvaluateRequest {
  expression: Expression;
  /** Digits after the decimal point; no rounding when absent. */
  precision?: number;
}

/** What `evaluate` returns. */
export interface Evaluation {
  value: number;
  /** How many nodes of the tree were visited. */
  steps: number;
  /** When the server computed it. */
  computedAt: Date;
  /** Set when the value was rounded: what it was before. */
  exact?: number;
}

/**
 * Arithmetic, remotely.
 * @service
 */
export interface Calculator {
  /**
   * Adds two numbers.
   * @idempotent
   */
  add(a: number, b: number): Promise<number>;
  /** Divides `a` by `b`; the server rejects `b = 0`. */
  divide(a: number, b: number): Promise<number>;
  /** Sums a list of numbers. */
  sum(values: number[]): Promise<number>;
  /** Streams `from`, `from - 1`, …, `0`. */
  countdown(/** @minimum 0 @integer */ from: number): AsyncIterable<number>;
  /** Evaluates an expression tree. */
  evaluate(request: EvaluateRequest): Promise<Evaluation>;
}
