/**
 * `RpcError`: how a call fails, on both sides of the wire.
 *
 * A handler throws one to choose the status; the server sends its code,
 * message and details in an ERROR message; the client rebuilds the same class
 * from them.
 *
 * @module
 */

import { STATUS, type StatusName, statusName } from "./status.ts";
import { ValidationError, type ValidationIssue } from "./descriptors.ts";
import {
  clip,
  MAX_COUNTED_ISSUES,
  MAX_ISSUE_TEXT,
  MAX_ISSUES,
} from "./limits.ts";

/** Extra, JSON-serialisable facts about an error (travels as JSON). */
export type ErrorDetails = Readonly<Record<string, unknown>>;

/** Options for {@linkcode RpcError}. */
export interface RpcErrorOptions {
  /** JSON-serialisable details, e.g. `{ issues: [...] }` for validation. */
  details?: ErrorDetails;
  /** The underlying cause (stays on this side of the wire). */
  cause?: unknown;
}

/**
 * A failed RPC. `code` is a name from {@linkcode STATUS} and `status` its
 * number; `details` is plain JSON data (validation issues, a stack when the
 * server exposes stacks, whatever a handler attached).
 *
 * @example Picking the status in a handler
 * ```ts
 * import { RpcError } from "zmp";
 * function get(id: string): never {
 *   throw new RpcError("NOT_FOUND", `No user "${id}"`, { details: { id } });
 * }
 * try {
 *   get("ada");
 * } catch (e) {
 *   if (e instanceof RpcError) console.log(e.code, e.status); // NOT_FOUND 5
 * }
 * ```
 */
export class RpcError extends Error {
  /** The status name, such as `"NOT_FOUND"`. */
  readonly code: StatusName;
  /** The status number, such as `5` (the wire value; kept when unknown). */
  readonly status: number;
  /** JSON details, if any. */
  readonly details: ErrorDetails | undefined;

  /**
   * Creates the error.
   *
   * @param code the status name
   * @param message what went wrong, for people
   * @param options details and cause
   * @throws {TypeError} when `code` is not a status name
   */
  constructor(
    code: StatusName,
    message: string,
    options: RpcErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? {} : { cause: options.cause });
    if (!Object.hasOwn(STATUS, code)) {
      throw new TypeError(
        `Cannot create RpcError: ${JSON.stringify(code)} is not a status name`,
      );
    }
    this.name = "RpcError";
    this.code = code;
    this.status = STATUS[code];
    this.details = options.details;
  }

  /**
   * Rebuilds an error read from the wire, keeping an unknown status number.
   *
   * @param status the status number from the ERROR header
   * @param message the message frame
   * @param details the decoded details frame, if any
   * @returns the error, with code `UNKNOWN` for a number outside the table
   */
  static fromWire(
    status: number,
    message: string,
    details?: ErrorDetails,
  ): RpcError {
    const error = new RpcError(statusName(status), message, { details });
    if (error.status !== status) {
      (error as { status: number }).status = status;
    }
    return error;
  }
}

/** Options for {@linkcode ProtocolError}. */
export interface ProtocolErrorOptions {
  /** The status to answer with. @default {"INVALID_ARGUMENT"} */
  code?: StatusName;
  /** The request id read from the header, or 0 when there was none. */
  requestId?: number;
  /** JSON details for the reply. */
  details?: ErrorDetails;
}

/**
 * A message that breaks the wire protocol: too few frames, a short header,
 * an unknown kind, an unsupported version, a bad method name or metadata.
 * It is a `SyntaxError`; `code` is the status the server answers with and
 * `requestId` the id to answer to (0 when none could be read).
 */
export class ProtocolError extends SyntaxError {
  /** The status to answer with. */
  readonly code: StatusName;
  /** The request id of the offending message, or 0. */
  readonly requestId: number;
  /** JSON details for the reply, if any. */
  readonly details: ErrorDetails | undefined;

  /**
   * @param message what is wrong, for people
   * @param options status, request id and details
   */
  constructor(message: string, options: ProtocolErrorOptions = {}) {
    super(message);
    this.name = "ProtocolError";
    this.code = options.code ?? "INVALID_ARGUMENT";
    this.requestId = options.requestId ?? 0;
    this.details = options.details;
  }
}

/**
 * A payload with more elements than the receiver decodes, found by the
 * scan that runs before decoding (see `maxElements` in PROTOCOL.md §16).
 * It is a `RangeError`; a server answers it with `RESOURCE_EXHAUSTED`.
 *
 * @example
 * ```ts
 * import { codecByName, ElementLimitError } from "zmp/wire";
 * const codec = codecByName("msgpack");
 * try {
 *   codec.decode(codec.encode(new Array(100).fill(0)), { maxElements: 10 });
 * } catch (e) {
 *   console.log(e instanceof ElementLimitError, (e as ElementLimitError).limit); // true 10
 * }
 * ```
 */
export class ElementLimitError extends RangeError {
  /** The elements counted when the scan stopped: more than `limit`. */
  readonly count: number;
  /** The limit passed. */
  readonly limit: number;

  /**
   * Creates the error; its message names the limit and the count.
   *
   * @param count the elements counted when the scan stopped
   * @param limit the limit passed
   */
  constructor(count: number, limit: number) {
    super(
      `the payload holds more than ${limit} elements (${count} counted before the scan stopped)`,
    );
    this.name = "ElementLimitError";
    this.count = count;
    this.limit = limit;
  }
}

/**
 * The issue list to hand a validator when its findings go into a reply: it
 * keeps the first `limit` issues and only counts the others, so that a
 * request of a million bad elements costs no million issues.
 *
 * @example
 * ```ts
 * import { IssueList } from "zmp/wire";
 * const issues = new IssueList(2);
 * for (let i = 0; i < 5; i++) {
 *   issues.push({ path: `args[${i}]`, expected: "number", received: "string" });
 * }
 * console.log(issues.length, issues.omitted); // 2 3
 * ```
 */
export class IssueList extends Array<ValidationIssue> {
  /** Array methods that make new arrays make plain ones. */
  static override get [Symbol.species](): ArrayConstructor {
    return Array;
  }

  /** Issues found beyond the limit: counted, not kept. */
  omitted = 0;
  /**
   * Set by a check that stopped looking once the list was
   * {@linkcode IssueList.exhausted}: `omitted` is then a lower bound.
   */
  partial = false;
  readonly #limit: number;

  /**
   * @param limit the most issues kept
   */
  constructor(limit: number = MAX_ISSUES) {
    super();
    this.#limit = limit;
  }

  /**
   * Keeps issues while there is room, counts the others.
   *
   * @param items the issues
   * @returns how many are kept
   */
  /**
   * Whether a check should stop looking: {@linkcode MAX_COUNTED_ISSUES}
   * were counted past the kept ones, so `omitted` is a lower bound.
   */
  get exhausted(): boolean {
    return this.omitted >= MAX_COUNTED_ISSUES;
  }

  /** Whether another issue would only be counted. */
  get full(): boolean {
    return this.length >= this.#limit;
  }

  override push(...items: ValidationIssue[]): number {
    for (const item of items) {
      if (this.length < this.#limit) this[this.length] = item;
      else this.omitted++;
    }
    return this.length;
  }
}

function omittedOf(issues: readonly ValidationIssue[]): number {
  return issues instanceof IssueList ? issues.omitted : 0;
}

/**
 * Counts one more issue without making it when `issues` is a full
 * {@linkcode IssueList}: what saves describing a value's millionth bad
 * element.
 *
 * @param issues the list
 * @returns `true` when the issue was counted, so need not be made
 */
export function countedWhenFull(issues: ValidationIssue[]): boolean {
  if (!(issues instanceof IssueList) || !issues.full) return false;
  issues.omitted++;
  return true;
}

/**
 * A list for issues that a check may add to `like` later: bounded as it is
 * (an {@linkcode IssueList} when it is one, else a plain array).
 *
 * @param like the list the issues may join
 * @returns an empty list of the same kind
 */
export function issueListLike(
  like: readonly ValidationIssue[],
): ValidationIssue[] {
  return like instanceof IssueList ? new IssueList() : [];
}

/**
 * Adds issues to a list one by one (never spread: a bad value may have
 * millions), with an {@linkcode IssueList}'s count of omitted ones.
 *
 * @param to the list added to
 * @param from the issues added
 */
export function addIssues(
  to: ValidationIssue[],
  from: readonly ValidationIssue[],
): void {
  for (const issue of from) to.push(issue);
  if (to instanceof IssueList) {
    to.omitted += omittedOf(from);
    if (from instanceof IssueList && from.partial) to.partial = true;
  }
}

/**
 * How many issues were found, kept or not: what tells whether a check
 * added any, even once an {@linkcode IssueList} is full.
 *
 * @param issues the issues
 * @returns their count, with an {@linkcode IssueList}'s omitted ones
 */
export function issueCount(issues: readonly ValidationIssue[]): number {
  return issues.length + omittedOf(issues);
}

function clipped(issue: ValidationIssue): ValidationIssue {
  return {
    ...issue,
    path: clip(String(issue.path), MAX_ISSUE_TEXT),
    expected: clip(String(issue.expected), MAX_ISSUE_TEXT),
    received: clip(String(issue.received), MAX_ISSUE_TEXT),
  };
}

/**
 * The message of a validation failure for a reply or a log line: the first
 * three issues, each field cut at {@linkcode MAX_ISSUE_TEXT} characters,
 * and how many more there were.
 *
 * @param what what was validated, e.g. `arguments for Calculator.add`
 * @param issues the issues (an {@linkcode IssueList} adds its count of
 *   omitted ones)
 * @returns `Invalid <what>: <issue>; <issue>; <issue> (+N more)`
 */
export function validationMessage(
  what: string,
  issues: readonly ValidationIssue[],
): string {
  const total = issueCount(issues);
  const first = new ValidationError(what, issues.slice(0, 3).map(clipped));
  if (total <= 3) return first.message;
  const more = issues instanceof IssueList && issues.partial
    ? `at least ${total - 3} more`
    : `+${total - 3} more`;
  return `${first.message} (${more})`;
}

/**
 * The details of a validation failure for a reply: at most
 * {@linkcode MAX_ISSUES} issues, each field cut at
 * {@linkcode MAX_ISSUE_TEXT} characters, and `omittedIssues`, the count of
 * the others, when there are any.
 *
 * @param issues the issues (an {@linkcode IssueList} adds its count of
 *   omitted ones)
 * @returns `{ issues, omittedIssues? }`
 */
export function validationDetails(
  issues: readonly ValidationIssue[],
): { issues: ValidationIssue[]; omittedIssues?: number } {
  const kept = issues.slice(0, MAX_ISSUES).map(clipped);
  const omitted = issues.length - kept.length + omittedOf(issues);
  return omitted > 0 ? { issues: kept, omittedIssues: omitted } : {
    issues: kept,
  };
}
