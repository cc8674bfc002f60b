/**
 * Params on etcd: key `<prefix>/params/<key>`, value the superjson text of
 * the value (`{"json": …, "meta": …}`, what the embedded registry's
 * superjson codec sends), revision the key's `mod_revision`.
 *
 * Setting the value a key already has is a transaction that compares the
 * value first, so it writes nothing and no watcher hears of it, as with the
 * embedded registry. A compare-and-set adds a comparison of `mod_revision`.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import SuperJSON from "superjson";
import { CompareResult, CompareTarget } from "etcd3";
import type { EtcdConnection, Kv } from "./_etcd_client.ts";
import { watchRange } from "./_etcd_watch.ts";
import { underPrefix } from "./_state.ts";
import { ParamConflictError } from "./errors.ts";
import { updateParam } from "./_param_update.ts";
import {
  checkParamKey,
  checkParamSet,
  checkPrefix,
  combine,
} from "./client.ts";
import type {
  ParamEntry,
  ParamEvent,
  ParamSetOptions,
  ParamStore,
  ParamUpdateOptions,
  RegistryWaitOptions,
} from "./types.ts";

/** Where params live under the system's prefix. */
export const PARAMS_DIR = "params/";

const sj = new SuperJSON();

/**
 * Encodes a param value as stored in etcd.
 *
 * @param value the value
 * @returns the superjson text's bytes
 */
export function encodeParam(value: unknown): Buffer {
  return Buffer.from(sj.stringify(value));
}

/**
 * Decodes a stored param value.
 *
 * @param bytes the stored bytes
 * @returns the value
 * @throws {SyntaxError} when the bytes are not superjson text
 */
export function decodeParam(bytes: Uint8Array): unknown {
  const text = new TextDecoder().decode(bytes);
  const envelope = JSON.parse(text);
  if (
    typeof envelope !== "object" || envelope === null ||
    !Object.hasOwn(envelope, "json")
  ) {
    throw new SyntaxError('expected an object with a "json" member');
  }
  return sj.deserialize(envelope);
}

/** The host of an {@linkcode EtcdParamStore}. */
export interface EtcdParamHost {
  /** The connection. */
  readonly conn: EtcdConnection;
  /** Default timeout of a call, in ms. */
  readonly timeout: number;
  /** Ends every watch when the registry closes. */
  readonly closed: AbortSignal;
  /** Reports a stored value that cannot be read. */
  warn(message: string): void;
}

/** The {@linkcode ParamStore} of the etcd backend. */
export class EtcdParamStore implements ParamStore {
  readonly #host: EtcdParamHost;

  /** @param host the connection, default timeout, close signal */
  constructor(host: EtcdParamHost) {
    this.#host = host;
  }

  #wait(options?: RegistryWaitOptions) {
    return {
      timeout: options?.timeout ?? this.#host.timeout,
      signal: options?.signal,
    };
  }

  async get(key: string, options?: RegistryWaitOptions): Promise<unknown> {
    return (await this.getEntry(key, options))?.value;
  }

  async getEntry(
    key: string,
    options?: RegistryWaitOptions,
  ): Promise<ParamEntry | undefined> {
    checkParamKey(key, "get");
    const { kvs } = await this.#host.conn.range(
      PARAMS_DIR + key,
      this.#wait(options),
    );
    if (kvs.length === 0) return undefined;
    return { value: this.#decode(kvs[0]), revision: kvs[0].modRevision };
  }

  async set(
    key: string,
    value: unknown,
    options: ParamSetOptions = {},
  ): Promise<number> {
    checkParamSet(key, value, options.ifRevision);
    const conn = this.#host.conn;
    const k = conn.key(PARAMS_DIR + key);
    const bytes = encodeParam(value);
    const expect = options.ifRevision;
    const wait = this.#wait(options);
    const put = [{ request_put: { key: k, value: bytes } }];
    const read = [{ request_range: { key: k } }];
    for (let i = 0; i < 10; i++) {
      // A key that exists: put unless it holds these bytes already.
      const changed = await conn.txn(`set param "${key}"`, {
        compare: [
          {
            key: k,
            target: CompareTarget.Value,
            result: CompareResult.NotEqual,
            value: bytes,
          },
          ...(expect === undefined ? [] : [{
            key: k,
            target: CompareTarget.Mod,
            result: CompareResult.Equal,
            mod_revision: expect,
          }]),
        ],
        success: put,
        failure: read,
      }, wait);
      if (changed.succeeded) return Number(changed.header.revision);
      const kv = changed.responses[0].response_range.kvs[0];
      if (kv !== undefined) {
        const actual = Number(kv.mod_revision);
        if (expect !== undefined && expect !== actual) {
          throw new ParamConflictError(key, expect, actual);
        }
        return actual; // the same value: nothing to write
      }
      // The key does not exist (a value comparison then fails).
      if (expect !== undefined && expect !== 0) {
        throw new ParamConflictError(key, expect, 0);
      }
      const created = await conn.txn(`set param "${key}"`, {
        compare: [{
          key: k,
          target: CompareTarget.Create,
          result: CompareResult.Equal,
          create_revision: 0,
        }],
        success: put,
        failure: read,
      }, wait);
      if (created.succeeded) return Number(created.header.revision);
      const now = created.responses[0].response_range.kvs[0];
      if (expect === 0 && now !== undefined) {
        throw new ParamConflictError(key, 0, Number(now.mod_revision));
      }
      // Created by someone else meanwhile: compare again.
    }
    throw new ParamConflictError(key, expect ?? 0, -1);
  }

  update(
    key: string,
    fn: (current: unknown) => unknown,
    options?: ParamUpdateOptions,
  ): Promise<unknown> {
    checkParamKey(key, "update");
    return updateParam(this, key, fn, options);
  }

  async delete(key: string, options?: RegistryWaitOptions): Promise<boolean> {
    checkParamKey(key, "delete");
    const { deleted } = await this.#host.conn.delete(
      PARAMS_DIR + key,
      this.#wait(options),
    );
    return deleted > 0;
  }

  async list(
    prefix = "",
    options?: RegistryWaitOptions,
  ): Promise<Record<string, unknown>> {
    checkPrefix(prefix);
    const { kvs } = await this.#host.conn.range(
      PARAMS_DIR + prefix,
      this.#wait(options),
      true,
    );
    return this.#values(kvs, prefix);
  }

  async *watch(
    prefix = "",
    options: { signal?: AbortSignal } = {},
  ): AsyncGenerator<ParamEvent, void, undefined> {
    checkPrefix(prefix);
    const conn = this.#host.conn;
    const signal = combine(options.signal, this.#host.closed);
    const range = {
      key: conn.key(PARAMS_DIR + prefix),
      end: conn.rangeEnd(PARAMS_DIR + prefix),
    };
    for await (const item of watchRange(conn, range, { signal })) {
      if (item.type === "snapshot") {
        yield { type: "snapshot", values: this.#values(item.kvs, prefix) };
        continue;
      }
      for (const change of item.changes) {
        const key = change.kv.key.slice(PARAMS_DIR.length);
        if (!underPrefix(key, prefix)) continue;
        if (change.type === "delete") yield { type: "deleted", key };
        else {
          const value = this.#decode(change.kv);
          if (value !== undefined) yield { type: "set", key, value };
        }
      }
    }
  }

  #values(kvs: Kv[], prefix: string): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const entries = kvs.map((kv) =>
      [kv.key.slice(PARAMS_DIR.length), kv] as const
    )
      .filter(([key]) => underPrefix(key, prefix))
      .sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0);
    for (const [key, kv] of entries) {
      const value = this.#decode(kv);
      if (value !== undefined) out[key] = value;
    }
    return out;
  }

  #decode(kv: Kv): unknown {
    try {
      return decodeParam(kv.value);
    } catch (e) {
      this.#host.warn(
        `ignored param ${
          kv.key.slice(PARAMS_DIR.length)
        }: its stored value is not superjson (${(e as Error).message})`,
      );
      return undefined;
    }
  }
}
