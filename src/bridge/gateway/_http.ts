/**
 * Small HTTP pieces of the gateway: JSON responses, reading a JSON body
 * (content type, size limit, parse errors as one clear 400), and the
 * `Host` check that keeps other web pages from reaching a gateway on
 * loopback through DNS rebinding.
 *
 * @module
 */

import { RpcError } from "../../wire/errors.ts";
import { parseJson, stringifyJson } from "../../wire/json_schema.ts";
import { errorResponse } from "./errors.ts";

/**
 * A JSON response, with zmp's JSON forms (Dates as ISO strings, bigints as
 * integers, bytes as base64, Maps as pairs, Sets as arrays).
 *
 * @param value the value
 * @param status the HTTP status (default 200)
 * @returns the response
 */
export function jsonResponse(value: unknown, status = 200): Response {
  return new Response(stringifyJson(value), {
    status,
    headers: { "content-type": "application/json" },
  });
}

/** A JSON body, or nothing when the request had none. */
export type Body = { value: unknown } | undefined;

/**
 * Reads a request's body as JSON. A body must say
 * `Content-Type: application/json`: a cross-origin page can send other
 * types without asking the server first (CORS "simple" requests), so
 * refusing them keeps such pages from calling methods.
 *
 * @param request the request
 * @param maxBytes the size limit
 * @returns the parsed body, or `undefined` when it is empty
 * @throws {HttpError} 413 over the limit, 415 for another content type,
 *   400 for JSON that does not parse
 */
export async function readJsonBody(
  request: Request,
  maxBytes: number,
): Promise<Body> {
  const declared = Number(request.headers.get("content-length") ?? NaN);
  if (declared > maxBytes) throw tooLarge(maxBytes);
  const bytes = await readLimited(request, maxBytes);
  if (bytes.byteLength === 0) return undefined;
  const type = request.headers.get("content-type") ?? "";
  if (!/^application\/([\w.+-]+\+)?json\s*(;|$)/i.test(type)) {
    throw new HttpError(
      415,
      new RpcError(
        "INVALID_ARGUMENT",
        `the request body must be JSON sent with Content-Type: application/json, got ${
          type === "" ? "no content type" : JSON.stringify(type)
        }`,
      ),
    );
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new HttpError(
      400,
      new RpcError("INVALID_ARGUMENT", "the request body is not UTF-8"),
    );
  }
  try {
    return { value: parseJson(text) };
  } catch (e) {
    throw new HttpError(
      400,
      new RpcError(
        "INVALID_ARGUMENT",
        `the request body is not valid JSON: ${
          (e as Error).message.replace(/^Cannot parse JSON: /, "")
        }`,
      ),
    );
  }
}

async function readLimited(
  request: Request,
  maxBytes: number,
): Promise<Uint8Array> {
  if (request.body === null) return new Uint8Array();
  // With a Content-Length under the limit (checked before), read it whole.
  if (request.headers.has("content-length")) {
    return new Uint8Array(await request.arrayBuffer());
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) throw tooLarge(maxBytes);
      chunks.push(value);
    }
  } finally {
    reader.releaseLock();
  }
  if (chunks.length === 1) return chunks[0];
  const all = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.byteLength;
  }
  return all;
}

function tooLarge(maxBytes: number): HttpError {
  return new HttpError(
    413,
    new RpcError(
      "RESOURCE_EXHAUSTED",
      `the request body is over the gateway's limit of ${maxBytes} bytes`,
      {
        details: {
          reason: "REQUEST_TOO_LARGE",
          limit: "maxBodyBytes",
          max: maxBytes,
        },
      },
    ),
  );
}

/** An `RpcError` to answer with a more precise HTTP status than its code's. */
export class HttpError extends Error {
  /** The HTTP status. */
  readonly status: number;
  /** The error in the body. */
  readonly error: RpcError;

  /**
   * @param status the HTTP status
   * @param error the error for the body
   */
  constructor(status: number, error: RpcError) {
    super(error.message, { cause: error });
    this.name = "HttpError";
    this.status = status;
    this.error = error;
  }

  /** The response. */
  response(): Response {
    return errorResponse(this.error, { status: this.status });
  }
}

/**
 * The answer to anything a route threw: an {@linkcode HttpError} with its
 * status, anything else with its code's.
 *
 * @param e what was thrown
 * @returns the response
 */
export function failure(e: unknown): Response {
  return e instanceof HttpError ? e.response() : errorResponse(e);
}

const LOOPBACK_NAMES = new Set(["localhost", "127.0.0.1", "[::1]"]);

/**
 * Whether a request's `Host` is one the gateway answers to. A gateway
 * bound to a loopback address answers to `localhost`, `127.0.0.1` and
 * `[::1]` (any port) and to `allowed`; one bound elsewhere to any host
 * unless `allowed` is given.
 *
 * @param host the `Host` header
 * @param loopback whether the gateway listens on loopback only
 * @param allowed extra host names (without port)
 * @returns whether to answer
 */
export function hostAllowed(
  host: string | null,
  loopback: boolean,
  allowed: readonly string[],
): boolean {
  if (!loopback && allowed.length === 0) return true;
  if (host === null) return false;
  const name = host.replace(/:\d+$/, "").toLowerCase();
  return (loopback && LOOPBACK_NAMES.has(name)) || allowed.includes(name);
}
