/**
 * `GET /params`, `GET|PUT|DELETE /params/<key>`: params over HTTP. A value
 * put under a typed params group some live node uses is converted and
 * checked against the key's schema first, as `zmp param set` does.
 *
 * @module
 */

import { ValidationError } from "../../wire/descriptors.ts";
import { RpcError } from "../../wire/errors.ts";
import { fromJson } from "../../wire/json_schema.ts";
import type { GatewayContext } from "./_context.ts";
import { failure, jsonResponse, readJsonBody } from "./_http.ts";
import type { ParamKeyView } from "./system.ts";

/**
 * Answers `GET /params[?prefix=…]`: every key (under the prefix) with its
 * value, in key order.
 *
 * @param ctx the gateway
 * @param request the request
 * @returns the response; never throws
 */
export async function listParams(
  ctx: GatewayContext,
  request: Request,
): Promise<Response> {
  try {
    const prefix = new URL(request.url).searchParams.get("prefix") ?? "";
    const values = await ctx.registry.params.list(prefix, { timeout: 5000 });
    const sorted: Record<string, unknown> = {};
    for (const k of Object.keys(values).sort()) sorted[k] = values[k];
    return jsonResponse(sorted);
  } catch (e) {
    return failure(e);
  }
}

/**
 * Answers `GET /params/<key>`.
 *
 * @param ctx the gateway
 * @param key the key
 * @returns the value as JSON, or 404 when unset; never throws
 */
export async function getParam(
  ctx: GatewayContext,
  key: string,
): Promise<Response> {
  try {
    const value = await ctx.registry.params.get(key, { timeout: 5000 })
      .catch(badKey);
    if (value === undefined) {
      throw new RpcError("NOT_FOUND", `param "${key}" is not set`);
    }
    return jsonResponse(value);
  } catch (e) {
    return failure(e);
  }
}

/**
 * Answers `PUT /params/<key>` with a JSON value.
 *
 * @param ctx the gateway
 * @param request the request
 * @param key the key
 * @returns `{key: value}` as stored; 400 with the issues when the value
 *   does not fit the key's type; never throws
 */
export async function putParam(
  ctx: GatewayContext,
  request: Request,
  key: string,
): Promise<Response> {
  try {
    const body = await readJsonBody(request, ctx.options.maxBodyBytes);
    if (body === undefined) {
      throw new RpcError(
        "INVALID_ARGUMENT",
        `PUT /params/${key} needs the value as a JSON body`,
      );
    }
    const entry = keyOf(ctx.snapshot().params, key);
    let value = body.value;
    if (entry !== undefined) {
      const converted = fromJson(entry.schema, value, key);
      if (converted.issues.length > 0) {
        const error = new ValidationError(
          `value for param ${key} (${entry.typeName})`,
          converted.issues,
        );
        throw new RpcError("INVALID_ARGUMENT", error.message, {
          details: { issues: converted.issues },
        });
      }
      value = converted.value;
    }
    await ctx.registry.params.set(key, value, { timeout: 5000 })
      .catch(badKey);
    return jsonResponse({ [key]: value });
  } catch (e) {
    return failure(e);
  }
}

/**
 * Answers `DELETE /params/<key>`.
 *
 * @param ctx the gateway
 * @param key the key
 * @returns `{deleted: key}`, or 404 when it was not set; never throws
 */
export async function deleteParam(
  ctx: GatewayContext,
  key: string,
): Promise<Response> {
  try {
    const existed = await ctx.registry.params.delete(key, { timeout: 5000 })
      .catch(badKey);
    if (!existed) {
      throw new RpcError("NOT_FOUND", `param "${key}" is not set`);
    }
    return jsonResponse({ deleted: key });
  } catch (e) {
    return failure(e);
  }
}

/**
 * The registered key `key` is, when a live node's params group covers its
 * namespace (the longest namespace wins).
 *
 * @throws {RpcError} `INVALID_ARGUMENT` when a group covers the namespace
 *   but has no such key
 */
function keyOf(
  params: ParamKeyView[],
  key: string,
): ParamKeyView | undefined {
  const found = params.find((p) => p.key === key);
  if (found !== undefined) return found;
  const namespace = params.map((p) => p.namespace)
    .filter((ns) => key.startsWith(`${ns}.`))
    .sort((a, b) => b.length - a.length)[0];
  if (namespace === undefined) return undefined;
  const keys = params.filter((p) => p.namespace === namespace);
  throw new RpcError(
    "INVALID_ARGUMENT",
    `"${
      key.slice(namespace.length + 1)
    }" is not a key of params group ${namespace} (${
      keys[0].typeName
    }): its keys are ${keys.map((k) => k.key).join(", ")}`,
  );
}

/**
 * The param store refuses a bad key (empty, too long, `__proto__`) with a
 * `TypeError` before sending anything: that is the client's mistake.
 */
function badKey(e: unknown): never {
  if (e instanceof TypeError) {
    throw new RpcError("INVALID_ARGUMENT", e.message, { cause: e });
  }
  throw e;
}
