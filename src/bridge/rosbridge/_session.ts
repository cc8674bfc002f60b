/**
 * One rosbridge v2 client connection: parses each JSON text frame, checks
 * it, and turns it into zmp subscriptions, publishers, service calls and
 * browser-side services. Bad input gets a `status` error; the connection
 * keeps working.
 *
 * @module
 */

import { createNode } from "../../node/node.ts";
import type {
  Node,
  NodeLogger,
  TopicPublisher,
  TopicSubscription,
} from "../../node/types.ts";
import type { Registry } from "../../registry/types.ts";
import type { ServiceDescriptor } from "../../wire/descriptors.ts";
import { ValidationError } from "../../wire/descriptors.ts";
import { RpcError } from "../../wire/errors.ts";
import { currentTraceparent, parseTraceparent } from "../../observe/trace.ts";
import { fromJson, stringifyJson } from "../../wire/json_schema.ts";
import {
  liveServices,
  type LiveTopic,
  liveTopics,
  serviceFromEntry,
  topicFromLive,
} from "../_descriptors.ts";
import {
  rosServiceType,
  rosTypeName,
  splitServiceName,
  zmpMethod,
  zmpTopicName,
} from "./names.ts";
import { callRosapi, rosapiService } from "./rosapi.ts";
import type { LiveNodes } from "./_live.ts";

/** What every session of one server shares. */
export interface SessionContext {
  /** The server's zmp node: subscribes, publishes and calls. */
  node: Node;
  /** The registry: live nodes and params. */
  registry: Registry;
  /** Service types clients may advertise, besides live ones. */
  apis: readonly ServiceDescriptor[];
  /** The live nodes, followed. */
  live: LiveNodes;
  /** Where problems are logged. */
  log: NodeLogger;
  /** Largest text frame accepted, in bytes. */
  maxMessageBytes: number;
  /** Default deadline of calls, in ms. */
  callTimeout: number;
  /** ROS service names advertised by any session, to the session. */
  advertised: Map<string, Session>;
  /** A fresh node name for a session's browser-side services. */
  clientNodeName(): string;
}

type Message = Record<string, unknown>;

/** Beyond this many bytes queued on the socket, topic messages are dropped. */
const MAX_BUFFERED = 16 * 1024 * 1024;

const OPS = new Set([
  "subscribe",
  "unsubscribe",
  "advertise",
  "unadvertise",
  "publish",
  "call_service",
  "advertise_service",
  "unadvertise_service",
  "service_response",
  "set_level",
]);

const LEVELS = ["none", "error", "warning", "info"];

/** A bad frame or field: answered with a `status` error. */
class OpError extends Error {}

interface SubscriptionState {
  ids: Set<string>;
  abort: AbortController;
  subscription?: TopicSubscription<unknown>;
  done: Promise<void>;
}

interface Advertised {
  publisher: TopicPublisher<unknown>;
  live: LiveTopic;
}

interface Pending {
  resolve(message: Message): void;
  reject(error: Error): void;
}

/** One connection. */
export class Session {
  readonly #ctx: SessionContext;
  readonly #socket: WebSocket;
  readonly #subscriptions = new Map<string, SubscriptionState>();
  readonly #publishers = new Map<string, Promise<Advertised>>();
  /** Advertised ROS names → the zmp service and method. */
  readonly #services = new Map<string, { service: string; method: string }>();
  readonly #descriptors = new Map<string, ServiceDescriptor>();
  readonly #pending = new Map<string, Pending>();
  readonly #calls = new Set<Promise<void>>();
  #clientNode: Promise<Node> | undefined;
  #level = "error";
  #nextCall = 0;
  #closed = false;
  /** Topic messages dropped because the client read too slowly. */
  dropped = 0;

  /**
   * @param ctx what the server's sessions share
   * @param socket the upgraded WebSocket
   */
  constructor(ctx: SessionContext, socket: WebSocket) {
    this.#ctx = ctx;
    this.#socket = socket;
  }

  #send(message: Message): void {
    if (this.#closed || this.#socket.readyState !== WebSocket.OPEN) return;
    this.#socket.send(stringifyJson(message));
  }

  #status(
    level: "error" | "warning" | "info",
    msg: string,
    id?: unknown,
  ): void {
    if (LEVELS.indexOf(level) > LEVELS.indexOf(this.#level)) return;
    this.#send({
      op: "status",
      level,
      msg,
      ...(typeof id === "string" ? { id } : {}),
    });
  }

  /**
   * Handles one frame; never throws.
   *
   * @param data the frame
   */
  async handle(data: unknown): Promise<void> {
    let message: Message | undefined;
    try {
      if (typeof data !== "string") {
        throw new OpError(
          "binary frames are not supported: send rosbridge v2 messages as JSON text",
        );
      }
      if (data.length > this.#ctx.maxMessageBytes) {
        throw new OpError(
          `a message of ${data.length} bytes is over the limit of ${this.#ctx.maxMessageBytes}`,
        );
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(data);
      } catch (e) {
        throw new OpError(`the message is not JSON: ${(e as Error).message}`);
      }
      if (
        typeof parsed !== "object" || parsed === null || Array.isArray(parsed)
      ) {
        throw new OpError(
          'a rosbridge message is a JSON object with an "op" field',
        );
      }
      message = parsed as Message;
      const op = message.op;
      if (typeof op !== "string") {
        throw new OpError('the message has no "op" field (a string)');
      }
      if (!OPS.has(op)) {
        throw new OpError(
          `unknown op ${JSON.stringify(op)} (supported: ${
            [...OPS].join(", ")
          })`,
        );
      }
      await this.#dispatch(op, message);
    } catch (e) {
      const msg = e instanceof OpError || e instanceof ValidationError
        ? e.message
        : `${(e as Error)?.message ?? e}`;
      this.#status("error", msg, message?.id);
    }
  }

  #dispatch(op: string, m: Message): Promise<void> | void {
    switch (op) {
      case "subscribe":
        return this.#subscribe(m);
      case "unsubscribe":
        return this.#unsubscribe(m);
      case "advertise":
        return this.#advertise(m);
      case "unadvertise":
        return this.#unadvertise(m);
      case "publish":
        return this.#publish(m);
      case "call_service":
        // Not awaited: a slow call must not hold up the frames after it
        // (its answer may even need them, from a browser-side service).
        this.#callService(m);
        return;
      case "advertise_service":
        return this.#advertiseService(m);
      case "unadvertise_service":
        return this.#unadvertiseService(m);
      case "service_response":
        return this.#serviceResponse(m);
      case "set_level": {
        const level = field(m, "level", "string");
        if (!LEVELS.includes(level)) {
          throw new OpError(
            `level must be one of ${LEVELS.join(", ")}, got ${
              JSON.stringify(level)
            }`,
          );
        }
        this.#level = level;
      }
    }
  }

  async #liveTopic(name: string): Promise<LiveTopic | undefined> {
    const nodes = await this.#ctx.registry.nodes({ timeout: 3000 });
    return liveTopics(nodes).get(zmpTopicName(name));
  }

  #subscribe(m: Message): void {
    const topic = field(m, "topic", "string");
    const type = optional(m, "type", "string");
    const id = optional(m, "id", "string") ?? "";
    const known = this.#subscriptions.get(topic);
    if (known !== undefined) {
      known.ids.add(id);
      return;
    }
    const abort = new AbortController();
    const state: SubscriptionState = {
      ids: new Set([id]),
      abort,
      done: Promise.resolve(),
    };
    this.#subscriptions.set(topic, state);
    state.done = this.#pump(topic, type, state, m.id).catch((e) => {
      if (!abort.signal.aborted) {
        this.#status(
          "error",
          `subscription to ${topic}: ${(e as Error).message}`,
          m.id,
        );
      }
    });
  }

  /** Waits for the topic to be live, subscribes, forwards messages. */
  async #pump(
    topic: string,
    type: string | undefined,
    state: SubscriptionState,
    id: unknown,
  ): Promise<void> {
    const { signal } = state.abort;
    let live = await this.#liveTopic(topic);
    if (live === undefined) {
      for await (const event of this.#ctx.registry.watch({ signal })) {
        const nodes = event.type === "snapshot"
          ? event.nodes
          : await this.#ctx.registry.nodes({ timeout: 3000 });
        live = liveTopics(nodes).get(zmpTopicName(topic));
        if (live !== undefined) break;
      }
    }
    if (live === undefined || signal.aborted) return;
    if (
      type !== undefined && type !== "" && type !== rosTypeName(live.typeName)
    ) {
      this.#status(
        "error",
        `topic ${topic} has type ${rosTypeName(live.typeName)}, not ${type}`,
        id,
      );
      this.#subscriptions.delete(topic);
      return;
    }
    const subscription = await this.#ctx.node.subscribe(topicFromLive(live));
    state.subscription = subscription;
    if (signal.aborted) {
      await subscription.close();
      return;
    }
    signal.addEventListener("abort", () => subscription.close(), {
      once: true,
    });
    for await (const { message: msg, traceparent } of subscription.messages()) {
      if (this.#socket.bufferedAmount > MAX_BUFFERED) {
        this.dropped++;
        continue;
      }
      // A traced message keeps its trace context: a field roslib ignores.
      this.#send(
        traceparent === undefined
          ? { op: "publish", topic, msg }
          : { op: "publish", topic, msg, traceparent },
      );
    }
  }

  async #unsubscribe(m: Message): Promise<void> {
    const topic = field(m, "topic", "string");
    const id = optional(m, "id", "string");
    const state = this.#subscriptions.get(topic);
    if (state === undefined) {
      throw new OpError(`not subscribed to ${topic}`);
    }
    if (id !== undefined) state.ids.delete(id);
    if (id !== undefined && state.ids.size > 0) return;
    this.#subscriptions.delete(topic);
    state.abort.abort();
    await state.subscription?.close();
    await state.done;
  }

  #advertise(m: Message): Promise<void> {
    const topic = field(m, "topic", "string");
    const type = field(m, "type", "string");
    const latch = optional(m, "latch", "boolean") ?? false;
    return this.#publisher(topic, type, latch).then(() => {});
  }

  #publisher(
    topic: string,
    type: string | undefined,
    latched: boolean,
  ): Promise<Advertised> {
    let publisher = this.#publishers.get(topic);
    if (publisher === undefined) {
      publisher = (async () => {
        const live = await this.#liveTopic(topic);
        if (live === undefined) {
          throw new OpError(
            `cannot advertise ${topic}: no live zmp node publishes or subscribes to it, so its type is unknown`,
          );
        }
        const wanted = rosTypeName(live.typeName);
        if (type !== undefined && type !== "" && type !== wanted) {
          throw new OpError(
            `cannot advertise ${topic} as ${type}: its type is ${wanted}`,
          );
        }
        // Traced: a message with a client's `traceparent` carries it on
        // (as the parent of a PRODUCER span when OpenTelemetry is on);
        // one without goes as before, or starts a trace when it is on.
        const publisher = await this.#ctx.node.publisher(topicFromLive(live), {
          latched,
          trace: true,
        });
        return { publisher, live };
      })();
      this.#publishers.set(topic, publisher);
      publisher.catch(() => this.#publishers.delete(topic));
    }
    return publisher;
  }

  async #unadvertise(m: Message): Promise<void> {
    const topic = field(m, "topic", "string");
    const publisher = this.#publishers.get(topic);
    if (publisher === undefined) {
      throw new OpError(`${topic} is not advertised`);
    }
    this.#publishers.delete(topic);
    await (await publisher).publisher.close();
  }

  async #publish(m: Message): Promise<void> {
    const topic = field(m, "topic", "string");
    if (!("msg" in m)) throw new OpError('the message has no "msg" field');
    const traceparent = traceparentOf(m);
    const { publisher, live } = await this.#publisher(topic, undefined, false);
    const schema = live.schema;
    let value = m.msg;
    if (schema !== undefined) {
      const converted = fromJson(schema, m.msg, "msg");
      if (converted.issues.length > 0) {
        throw new ValidationError(
          `message for topic ${zmpTopicName(topic)} (${
            rosTypeName(live.typeName)
          })`,
          converted.issues,
        );
      }
      value = converted.value;
    }
    publisher.publish(
      value,
      traceparent === undefined ? undefined : { traceparent },
    );
  }

  #callService(m: Message): void {
    const service = field(m, "service", "string");
    const id = optional(m, "id", "string");
    const timeoutSeconds = optional(m, "timeout", "number");
    const traceparent = traceparentOf(m);
    const args = m.args ?? {};
    if (typeof args !== "object" || args === null) {
      throw new OpError(
        `op "call_service": field "args" must be an object (or a list), got ${
          args === null ? "null" : typeof args
        }`,
      );
    }
    const call = this.#answerCall(
      service,
      id,
      args as Message | unknown[],
      { timeoutSeconds, traceparent },
    ).finally(() => this.#calls.delete(call));
    this.#calls.add(call);
  }

  async #answerCall(
    service: string,
    id: string | undefined,
    args: Message | unknown[],
    options: { timeoutSeconds?: number; traceparent?: string },
  ): Promise<void> {
    const { timeoutSeconds, traceparent } = options;
    const answer = (result: boolean, values: unknown) =>
      this.#send({
        op: "service_response",
        service,
        ...(id === undefined ? {} : { id }),
        values,
        result,
      });
    try {
      const own = rosapiService(service);
      if (own !== undefined) {
        if (Array.isArray(args)) {
          throw new Error(`${service} takes its request as an object`);
        }
        answer(true, await callRosapi(own, args, this.#ctx.registry));
        return;
      }
      const timeout = timeoutSeconds !== undefined && timeoutSeconds > 0
        ? timeoutSeconds * 1000
        : this.#ctx.callTimeout;
      answer(true, {
        result: await this.#callZmp(service, args, { timeout, traceparent }),
      });
    } catch (e) {
      // roslib waits for a service_response: a failure is one, with the
      // error as text in `values` (a status alone leaves it hanging).
      const error = e as Error;
      answer(
        false,
        e instanceof RpcError
          ? `${e.code}: ${e.message}`
          : error?.message ?? String(e),
      );
    }
  }

  async #callZmp(
    service: string,
    args: Message | unknown[],
    options: { timeout: number; traceparent?: string },
  ): Promise<unknown> {
    const { timeout, traceparent } = options;
    let services = liveServices(await this.#ctx.live.get());
    const known = (s: typeof services) => {
      const t = zmpMethod(service, s.keys());
      return t !== undefined &&
        s.get(t.service)!.entry.methods?.some((m) => m.name === t.method);
    };
    // A service that appeared a moment ago may not be in the view yet.
    if (!known(services)) {
      services = liveServices(await this.#ctx.live.get(true));
    }
    const target = zmpMethod(service, services.keys());
    if (target === undefined) {
      throw new Error(
        `no live zmp service answers ${service} (a ROS service /<Service>/<method>)`,
      );
    }
    const { entry } = services.get(target.service)!;
    const method = entry.methods?.find((x) => x.name === target.method);
    if (method === undefined) {
      throw new Error(
        `zmp service ${target.service} has no method ${target.method}${
          entry.methods
            ? ` (methods: ${entry.methods.map((x) => x.name).join(", ")})`
            : ""
        }`,
      );
    }
    if (method.kind !== "unary") {
      throw new Error(
        `${target.service}.${target.method} is a stream; rosbridge calls are unary`,
      );
    }
    let positional: unknown[];
    if (Array.isArray(args)) positional = args;
    else {
      const unknown = Object.keys(args).filter((k) =>
        !method.params.includes(k)
      );
      if (unknown.length > 0) {
        throw new Error(
          `${service} has no request field ${
            unknown.map((k) => JSON.stringify(k)).join(", ")
          } (fields: ${method.params.join(", ")})`,
        );
      }
      positional = method.params.map((p) => args[p]);
      while (
        positional.length > method.requiredParams &&
        positional.at(-1) === undefined
      ) {
        positional.pop();
      }
    }
    const converted = fromJson(method.args, positional, "args");
    if (converted.issues.length > 0) {
      throw new ValidationError(`request for ${service}`, converted.issues);
    }
    const client = await this.#ctx.node.client(serviceFromEntry(entry), {
      timeout: Math.min(timeout, 10000),
    }) as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
    return await client[method.name](...(converted.value as unknown[]), {
      timeout,
      ...(traceparent === undefined ? {} : { metadata: { traceparent } }),
    });
  }

  async #advertiseService(m: Message): Promise<void> {
    const service = field(m, "service", "string");
    const type = field(m, "type", "string");
    const target = splitServiceName(service);
    if (target === undefined) {
      throw new OpError(
        `cannot advertise service ${
          JSON.stringify(service)
        }: a service name is /<Service>/<method>`,
      );
    }
    if (this.#ctx.node.info.publicKey !== undefined) {
      // A session's services run as a node of their own, and secure mode
      // admits only the keys of its launch: none is made per session.
      throw new OpError(
        `cannot advertise ${service} in secure mode: a client's services would need a node key of their own`,
      );
    }
    const key = `/${service.replace(/^\/+/, "")}`;
    const owner = this.#ctx.advertised.get(key);
    if (owner !== undefined && owner !== this) {
      throw new OpError(
        `service ${service} is already advertised by another client`,
      );
    }
    const descriptor = await this.#descriptor(target.service, target.method);
    const wanted = rosServiceType(target.service, target.method);
    if (type !== "" && type !== wanted) {
      throw new OpError(
        `cannot advertise ${service} as ${type}: its type is ${wanted}`,
      );
    }
    this.#ctx.advertised.set(key, this);
    this.#services.set(service, target);
    if (!this.#descriptors.has(descriptor.name)) {
      this.#descriptors.set(descriptor.name, descriptor);
      const node = await this.#node();
      await node.provide(descriptor, this.#handlers(descriptor) as never);
    }
  }

  /** The type of a service a client advertises: given modules, else live. */
  async #descriptor(
    service: string,
    method: string,
  ): Promise<ServiceDescriptor> {
    const given = this.#ctx.apis.find((d) =>
      d.name === service && d.methods[method]
    );
    if (given !== undefined) return given;
    const live = liveServices(await this.#ctx.registry.nodes({ timeout: 3000 }))
      .get(service);
    if (live?.entry.methods?.some((x) => x.name === method)) {
      return serviceFromEntry(live.entry);
    }
    throw new OpError(
      `cannot advertise ${service}.${method}: its type is unknown (give the server the generated module that declares service ${service}, or start a zmp node that provides it)`,
    );
  }

  #node(): Promise<Node> {
    return this.#clientNode ??= createNode(this.#ctx.clientNodeName(), {
      registry: this.#ctx.registry,
      logger: this.#ctx.log,
    });
  }

  #handlers(descriptor: ServiceDescriptor) {
    const handlers: Record<string, (...a: unknown[]) => Promise<unknown>> = {};
    for (const [name, method] of Object.entries(descriptor.methods)) {
      handlers[name] = (...argsAndContext) => {
        const ctx = argsAndContext.pop() as { signal: AbortSignal };
        const rosName = [...this.#services].find(([, t]) =>
          t.service === descriptor.name && t.method === name
        )?.[0];
        if (rosName === undefined) {
          return Promise.reject(
            new RpcError(
              "UNAVAILABLE",
              `${descriptor.name}.${name} is not advertised by this rosbridge client`,
            ),
          );
        }
        const args: Message = {};
        method.params.forEach((p, i) => {
          if (argsAndContext[i] !== undefined) args[p] = argsAndContext[i];
        });
        return this.#forward(rosName, args, ctx.signal).then((values) => {
          const result = (values as Message | undefined)?.result;
          const converted = fromJson(method.resultSchema, result, "result");
          if (converted.issues.length > 0) {
            throw new RpcError(
              "INTERNAL",
              new ValidationError(
                `response of ${rosName} from the rosbridge client`,
                converted.issues,
              ).message,
            );
          }
          return converted.value;
        });
      };
    }
    return handlers;
  }

  /** Sends a call to the client; resolves with its response's `values`. */
  #forward(
    service: string,
    args: Message,
    signal: AbortSignal,
  ): Promise<unknown> {
    const id = `service_request:${++this.#nextCall}`;
    return new Promise<Message>((resolve, reject) => {
      const onAbort = () => {
        this.#pending.delete(id);
        reject(
          new RpcError(
            "DEADLINE_EXCEEDED",
            `${service}: the rosbridge client did not answer in time`,
          ),
        );
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener("abort", onAbort, { once: true });
      this.#pending.set(id, {
        resolve: (m) => {
          signal.removeEventListener("abort", onAbort);
          resolve(m);
        },
        reject: (e) => {
          signal.removeEventListener("abort", onAbort);
          reject(e);
        },
      });
      // The trace of the call being served goes along, as a field roslib
      // ignores: a client that reads it can continue the trace.
      const traceparent = currentTraceparent();
      this.#send(
        traceparent === undefined
          ? { op: "call_service", id, service, args }
          : { op: "call_service", id, service, args, traceparent },
      );
    }).then((response) => {
      if (response.result !== true) {
        throw new RpcError(
          "UNKNOWN",
          `${service} failed in the rosbridge client: ${
            typeof response.values === "string"
              ? response.values
              : stringifyJson(response.values ?? null)
          }`,
        );
      }
      return response.values;
    });
  }

  #serviceResponse(m: Message): void {
    const id = field(m, "id", "string");
    const pending = this.#pending.get(id);
    if (pending === undefined) {
      throw new OpError(
        `no call is waiting for a response with id ${JSON.stringify(id)}`,
      );
    }
    this.#pending.delete(id);
    pending.resolve(m);
  }

  async #unadvertiseService(m: Message): Promise<void> {
    const service = field(m, "service", "string");
    if (!this.#services.delete(service)) {
      throw new OpError(`service ${service} is not advertised by this client`);
    }
    this.#ctx.advertised.delete(`/${service.replace(/^\/+/, "")}`);
    const still = new Set([...this.#services.values()].map((t) => t.service));
    const gone = [...this.#descriptors.keys()].filter((s) => !still.has(s));
    if (gone.length === 0) return;
    // A node cannot withdraw one service: start a new one with the rest.
    for (const s of gone) this.#descriptors.delete(s);
    const old = this.#clientNode;
    this.#clientNode = undefined;
    await (await old)?.close();
    if (this.#descriptors.size > 0) {
      const node = await this.#node();
      for (const d of this.#descriptors.values()) {
        await node.provide(d, this.#handlers(d) as never);
      }
    }
  }

  /** Ends every subscription, publisher and service of the connection. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const [name, owner] of this.#ctx.advertised) {
      if (owner === this) this.#ctx.advertised.delete(name);
    }
    for (const p of this.#pending.values()) {
      p.reject(
        new RpcError("UNAVAILABLE", "the rosbridge client disconnected"),
      );
    }
    this.#pending.clear();
    const steps: Promise<unknown>[] = [];
    for (const state of this.#subscriptions.values()) {
      state.abort.abort();
      steps.push(state.subscription?.close() ?? Promise.resolve(), state.done);
    }
    this.#subscriptions.clear();
    for (const publisher of this.#publishers.values()) {
      steps.push(publisher.then((p) => p.publisher.close(), () => {}));
    }
    this.#publishers.clear();
    if (this.#clientNode !== undefined) {
      steps.push(this.#clientNode.then((n) => n.close(), () => {}));
    }
    await Promise.allSettled([...steps, ...this.#calls]);
  }
}

function field(m: Message, name: string, type: "string"): string;
function field(m: Message, name: string, type: string): unknown {
  const v = m[name];
  if (v === undefined) {
    throw new OpError(`op "${m.op}" needs a "${name}" field (a ${type})`);
  }
  if (kindOf(v) !== type) {
    throw new OpError(
      `op "${m.op}": field "${name}" must be a ${type}, got ${
        v === null ? "null" : typeof v
      }`,
    );
  }
  return v;
}

function optional(m: Message, name: string, type: "string"): string | undefined;
function optional(m: Message, name: string, type: "number"): number | undefined;
function optional(
  m: Message,
  name: string,
  type: "boolean",
): boolean | undefined;
function optional(m: Message, name: string, type: string): unknown {
  const v = m[name];
  if (v === undefined || v === null) return undefined;
  if (kindOf(v) !== type) {
    throw new OpError(
      `op "${m.op}": field "${name}" must be a ${type}, got ${typeof v}`,
    );
  }
  return v;
}

/**
 * The op's `traceparent` field, an extension of rosbridge v2 that zmp reads
 * on `publish` and `call_service` (other servers ignore it, as roslib
 * ignores it on what it receives).
 *
 * @throws {OpError} for a value that is not a W3C traceparent
 */
function traceparentOf(m: Message): string | undefined {
  const value = optional(m, "traceparent", "string");
  if (value !== undefined && parseTraceparent(value) === undefined) {
    throw new OpError(
      `op "${m.op}": field "traceparent" must be a W3C traceparent (00-<32 hex>-<16 hex>-<2 hex>), got ${
        JSON.stringify(value)
      }`,
    );
  }
  return value;
}

/** `typeof`, as a value to compare with a field's expected type. */
function kindOf(value: unknown): string {
  return typeof value;
}
