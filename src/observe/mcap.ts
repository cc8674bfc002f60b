/**
 * zmp recordings in MCAP (npm `@mcap/core`), chunks compressed with zstd
 * (`node:zlib`, which Deno implements natively: no npm package, no native
 * build).
 *
 * Layout, so that Foxglove Studio can open a recording and `zmp play` can
 * replay it:
 *
 * - each topic is a channel named as the topic, `messageEncoding: "json"`,
 *   its schema the topic's JSON Schema (`encoding: "jsonschema"`, named as
 *   the message type); channel metadata `zmp.kind: topic`, `zmp.codec`,
 *   `zmp.latched`. Log time: when the recorder received the message.
 * - each service method is a channel `calls/<Service>/<method>`, JSON, whose
 *   schema is a call record: `node`, `at` (ISO time the handler started),
 *   `durationMs`, `args` (the method's argument schema), `result` or
 *   `items` (its result schema), `error` (`code`, `message`, `details`),
 *   `metadata`; channel metadata `zmp.kind: call`, `zmp.service`,
 *   `zmp.method`. Log time: when the call started; publish time: when it
 *   ended.
 * - the `traceparent`s of a topic's traced messages (publisher option
 *   `trace`) are a channel `traces/<topic>`, JSON `{ sequence,
 *   traceparent }` where `sequence` is the traced message's in the topic's
 *   channel; channel metadata `zmp.kind: trace`, `zmp.topic`. Untraced
 *   messages add nothing.
 * - each recorded service's registry entry (its methods and schemas) is a
 *   metadata record `zmp.service` (`{ entry: <JSON> }`): what
 *   `zmp play --serve` serves.
 *
 * Values are JSON as `stringifyJson` writes them (Dates as ISO strings,
 * bigints as integers, bytes as base64); `fromJson` with the channel's
 * schema turns them back.
 *
 * @module
 */

import {
  McapIndexedReader,
  McapWriter,
  type TypedMcapRecords,
} from "@mcap/core";
import { zstdCompressSync, zstdDecompressSync } from "node:zlib";
import type {
  JsonSchema,
  MethodEntry,
  ServiceEntry,
} from "../registry/types.ts";
import type { CodecName } from "../wire/descriptors.ts";

/** The metadata record holding a recorded service's registry entry. */
export const SERVICE_METADATA = "zmp.service";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A topic as a recording describes it. */
export interface RecordedTopic {
  /** The topic name. */
  topic: string;
  /** Its message type name. */
  typeName: string;
  /** JSON Schema of one message. */
  schema: JsonSchema;
  /** The codec its publishers use. */
  codec: CodecName;
  /** Whether its publisher latched it. */
  latched: boolean;
}

/** The channel of a topic's `traceparent`s. */
export function traceChannel(topic: string): string {
  return `traces/${topic}`;
}

const TRACE_SCHEMA: JsonSchema = {
  type: "object",
  properties: {
    sequence: { type: "integer", minimum: 0 },
    traceparent: { type: "string" },
  },
  required: ["sequence", "traceparent"],
};

/** A recorded call: one message of a `calls/…` channel. */
export interface RecordedCall {
  /** The node that served it. */
  node: string;
  /** When the handler started (ISO 8601). */
  at: string;
  /** How long it ran, ms. */
  durationMs: number;
  /** The arguments, as JSON. */
  args: unknown[];
  /** The result, as JSON (unary calls that succeeded). */
  result?: unknown;
  /** The items, as JSON (stream calls). */
  items?: unknown[];
  /** How it failed. */
  error?: { code: string; message: string; details?: unknown };
  /** The metadata the caller sent. */
  metadata: Record<string, string>;
}

/** The channel name of a method's calls. */
export function callChannel(service: string, method: string): string {
  return `calls/${service}/${method}`;
}

/** The time now in ns since the epoch, for log times. */
export function nowNs(): bigint {
  return BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6));
}

/** Ms since the epoch as ns. */
export function msToNs(ms: number): bigint {
  return BigInt(Math.round(ms * 1e6));
}

/**
 * Writes a recording. Every method may be called at any time: writes are
 * queued in order.
 */
export class RecordingWriter implements AsyncDisposable {
  readonly #file: Deno.FsFile;
  readonly #writer: McapWriter;
  readonly #channels = new Map<string, number>();
  readonly #services = new Set<string>();
  #queue: Promise<unknown> = Promise.resolve();
  #position = 0n;
  #closing: Promise<void> | undefined;
  /** Messages written per channel name. */
  readonly counts = new Map<string, number>();

  private constructor(file: Deno.FsFile) {
    this.#file = file;
    this.#writer = new McapWriter({
      writable: {
        write: async (buffer: Uint8Array) => {
          let written = 0;
          while (written < buffer.length) {
            written += await this.#file.write(buffer.subarray(written));
          }
          this.#position += BigInt(buffer.length);
        },
        position: () => this.#position,
      },
      compressChunk: (data) => ({
        compression: "zstd",
        compressedData: new Uint8Array(zstdCompressSync(data)),
      }),
    });
  }

  /**
   * Creates (or truncates) a recording file and writes its header.
   *
   * @param path the file
   * @returns the writer; close it to write the index
   * @throws {Deno.errors.NotFound} when the folder does not exist
   */
  static async create(path: string): Promise<RecordingWriter> {
    const file = await Deno.open(path, {
      write: true,
      create: true,
      truncate: true,
    });
    const writer = new RecordingWriter(file);
    await writer.#run(() =>
      writer.#writer.start({ profile: "", library: "zmp record" })
    );
    return writer;
  }

  #run<T>(job: () => Promise<T>): Promise<T> {
    if (this.#closing !== undefined) {
      return Promise.reject(
        new TypeError("Cannot write to the recording: it is closed"),
      );
    }
    const next = this.#queue.then(job);
    this.#queue = next.catch(() => {});
    return next;
  }

  async #channel(
    name: string,
    schema: { name: string; data: JsonSchema },
    metadata: Record<string, string>,
  ): Promise<number> {
    let id = this.#channels.get(name);
    if (id !== undefined) return id;
    const schemaId = await this.#writer.registerSchema({
      name: schema.name,
      encoding: "jsonschema",
      data: encoder.encode(JSON.stringify(schema.data)),
    });
    id = await this.#writer.registerChannel({
      topic: name,
      schemaId,
      messageEncoding: "json",
      metadata: new Map(Object.entries(metadata)),
    });
    this.#channels.set(name, id);
    return id;
  }

  async #message(
    name: string,
    channel: () => Promise<number>,
    logTime: bigint,
    publishTime: bigint,
    json: string,
  ): Promise<void> {
    const channelId = await channel();
    await this.#writer.addMessage({
      channelId,
      sequence: this.counts.get(name) ?? 0,
      logTime,
      publishTime,
      data: encoder.encode(json),
    });
    this.counts.set(name, (this.counts.get(name) ?? 0) + 1);
  }

  /**
   * Writes a topic message.
   *
   * @param topic the topic
   * @param logTime when it was received, ns since the epoch
   * @param json the message as JSON text
   * @param traceparent the `traceparent` it carried, if any
   * @returns once written
   */
  topicMessage(
    topic: RecordedTopic,
    logTime: bigint,
    json: string,
    traceparent?: string,
  ): Promise<void> {
    const written = this.#run(() =>
      this.#message(
        topic.topic,
        () =>
          this.#channel(
            topic.topic,
            {
              name: topic.typeName,
              data: { title: topic.typeName, ...topic.schema },
            },
            {
              "zmp.kind": "topic",
              "zmp.codec": topic.codec,
              "zmp.latched": String(topic.latched),
            },
          ),
        logTime,
        logTime,
        json,
      )
    );
    if (traceparent === undefined) return written;
    const channel = traceChannel(topic.topic);
    const traced = this.#run(() =>
      this.#message(
        channel,
        () =>
          this.#channel(
            channel,
            { name: "zmp.TopicTrace", data: TRACE_SCHEMA },
            { "zmp.kind": "trace", "zmp.topic": topic.topic },
          ),
        logTime,
        logTime,
        JSON.stringify({
          // The message just written: its channel's count less one.
          sequence: (this.counts.get(topic.topic) ?? 1) - 1,
          traceparent,
        }),
      )
    );
    return Promise.all([written, traced]).then(() => {});
  }

  /**
   * Writes a service's registry entry, once per service name.
   *
   * @param entry what the serving node registered
   * @returns once written
   */
  service(entry: ServiceEntry): Promise<void> {
    if (this.#services.has(entry.name)) return Promise.resolve();
    this.#services.add(entry.name);
    const { endpoint: _, ...rest } = entry;
    return this.#run(() =>
      this.#writer.addMetadata({
        name: SERVICE_METADATA,
        metadata: new Map([["entry", JSON.stringify(rest)]]),
      })
    );
  }

  /**
   * Writes a finished call.
   *
   * @param service the service's name
   * @param method the method's registry entry (its schemas name the
   *   channel's), or its bare name when the service registered none
   * @param startMs when the handler started, ms since the epoch
   * @param json the call record (a {@linkcode RecordedCall}) as JSON text
   * @param durationMs how long it ran
   * @returns once written
   */
  call(
    service: string,
    method: MethodEntry | string,
    startMs: number,
    durationMs: number,
    json: string,
  ): Promise<void> {
    const name = typeof method === "string" ? method : method.name;
    const channel = callChannel(service, name);
    return this.#run(() =>
      this.#message(
        channel,
        () =>
          this.#channel(
            channel,
            {
              name: `${service}.${name} call`,
              data: callSchema(service, method),
            },
            {
              "zmp.kind": "call",
              "zmp.service": service,
              "zmp.method": name,
            },
          ),
        msToNs(startMs),
        msToNs(startMs + durationMs),
        json,
      )
    );
  }

  /**
   * Writes the summary and index, and closes the file. Idempotent.
   *
   * @returns once the file is complete
   */
  close(): Promise<void> {
    if (this.#closing !== undefined) return this.#closing;
    const ending = this.#run(() => this.#writer.end());
    return this.#closing = (async () => {
      try {
        await ending;
      } finally {
        this.#file.close();
      }
    })();
  }

  /** Same as {@linkcode RecordingWriter.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** The JSON Schema of a method's call records. */
function callSchema(service: string, method: MethodEntry | string): JsonSchema {
  const args = typeof method === "string" ? { type: "array" } : method.args;
  const result = typeof method === "string" ? {} : method.result;
  const { $defs: argDefs, ...argsBody } = args as JsonSchema & {
    $defs?: JsonSchema;
  };
  const { $defs: resultDefs, ...resultBody } = result as JsonSchema & {
    $defs?: JsonSchema;
  };
  const $defs = { ...argDefs, ...resultDefs };
  const name = typeof method === "string" ? method : method.name;
  return {
    title: `${service}.${name} call`,
    type: "object",
    properties: {
      node: { type: "string" },
      at: { type: "string", format: "date-time" },
      durationMs: { type: "number" },
      args: argsBody,
      result: resultBody,
      items: { type: "array", items: resultBody },
      error: {
        type: "object",
        properties: {
          code: { type: "string" },
          message: { type: "string" },
          details: {},
        },
      },
      metadata: { type: "object", additionalProperties: { type: "string" } },
    },
    required: ["node", "at", "durationMs", "args"],
    ...(Object.keys($defs).length === 0 ? {} : { $defs }),
  };
}

/** One message of a recording, in log-time order. */
export interface RecordingMessage {
  /** The channel: a topic name or `calls/<Service>/<method>`. */
  channel: string;
  /** Log time, ns since the epoch. */
  logTime: bigint;
  /**
   * Its place in its channel, from 0: what a `traces/<topic>` record's
   * `sequence` points at.
   */
  sequence: number;
  /** The JSON text. */
  json: string;
}

/** What a recording holds. */
export interface Recording extends AsyncDisposable {
  /** Its topics. */
  readonly topics: RecordedTopic[];
  /** Its services' registry entries. */
  readonly services: ServiceEntry[];
  /** Its call channels: service, method, channel name. */
  readonly calls: { service: string; method: string; channel: string }[];
  /** Messages per channel. */
  readonly counts: Map<string, number>;
  /**
   * Its messages in log-time order.
   *
   * @param channels only these (all when absent)
   */
  messages(channels?: readonly string[]): AsyncIterable<RecordingMessage>;
  /** Closes the file. Idempotent. */
  close(): void;
}

/**
 * Opens a recording.
 *
 * @param path the MCAP file
 * @returns what it holds; close it when done
 * @throws {Deno.errors.NotFound} when there is no such file
 * @throws {SyntaxError} when it is not a complete MCAP file (e.g. a
 *   recorder that was killed before it wrote the index)
 */
export async function openRecording(path: string): Promise<Recording> {
  const file = await Deno.open(path, { read: true });
  try {
    const size = BigInt((await file.stat()).size);
    let reader: McapIndexedReader;
    try {
      reader = await McapIndexedReader.Initialize({
        readable: {
          size: () => Promise.resolve(size),
          read: async (offset: bigint, length: bigint) => {
            const buffer = new Uint8Array(Number(length));
            await file.seek(Number(offset), Deno.SeekMode.Start);
            let got = 0;
            while (got < buffer.length) {
              const n = await file.read(buffer.subarray(got));
              if (n === null) break;
              got += n;
            }
            return buffer.subarray(0, got);
          },
        },
        decompressHandlers: {
          zstd: (data: Uint8Array) => new Uint8Array(zstdDecompressSync(data)),
        },
      });
    } catch (e) {
      throw new SyntaxError(
        `Cannot read ${path}: not a complete MCAP file (${
          (e as Error).message
        })`,
        { cause: e },
      );
    }
    const topics: RecordedTopic[] = [];
    const calls: Recording["calls"] = [];
    for (const channel of reader.channelsById.values()) {
      const kind = channel.metadata.get("zmp.kind");
      if (kind === "trace") continue; // read with messages([traceChannel(…)])
      if (kind === "call") {
        calls.push({
          service: channel.metadata.get("zmp.service") ?? "",
          method: channel.metadata.get("zmp.method") ?? "",
          channel: channel.topic,
        });
        continue;
      }
      const schema = reader.schemasById.get(channel.schemaId);
      topics.push({
        topic: channel.topic,
        typeName: schema?.name ?? "unknown",
        schema: schema === undefined || schema.encoding !== "jsonschema"
          ? {}
          : JSON.parse(decoder.decode(schema.data)),
        codec: channel.metadata.get("zmp.codec") === "superjson"
          ? "superjson"
          : "msgpack",
        latched: channel.metadata.get("zmp.latched") === "true",
      });
    }
    const services: ServiceEntry[] = [];
    for await (const m of reader.readMetadata({ name: SERVICE_METADATA })) {
      const entry = m.metadata.get("entry");
      if (entry !== undefined) {
        services.push({ endpoint: "", ...JSON.parse(entry) });
      }
    }
    const counts = new Map<string, number>();
    for (const [id, n] of reader.statistics?.channelMessageCounts ?? []) {
      const channel = reader.channelsById.get(id);
      if (channel !== undefined) counts.set(channel.topic, Number(n));
    }
    let closed = false;
    const close = () => {
      if (!closed) file.close();
      closed = true;
    };
    const byId = (m: TypedMcapRecords["Message"]) =>
      reader.channelsById.get(m.channelId)?.topic ?? "";
    return {
      topics: topics.sort((a, b) => a.topic.localeCompare(b.topic)),
      services,
      calls,
      counts,
      async *messages(channels) {
        for await (
          const m of reader.readMessages(
            channels === undefined ? {} : { topics: channels },
          )
        ) {
          yield {
            channel: byId(m),
            logTime: m.logTime,
            sequence: m.sequence,
            json: decoder.decode(m.data),
          };
        }
      },
      close,
      [Symbol.asyncDispose]: () => Promise.resolve(close()),
    };
  } catch (e) {
    file.close();
    throw e;
  }
}
