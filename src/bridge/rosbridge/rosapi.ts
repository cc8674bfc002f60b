/**
 * The `rosapi` services of a rosbridge server, answered from the zmp
 * registry: what `roslib`'s `getTopics`, `getNodes`, `Param`… call.
 * Params are JSON text both ways, as rosapi has them.
 *
 * @module
 */

import type { NodeInfo, Registry } from "../../registry/types.ts";
import { fromJson, parseJson, stringifyJson } from "../../wire/json_schema.ts";
import { liveServices, liveTopics } from "../_descriptors.ts";
import {
  rosParamName,
  rosServiceName,
  rosServiceType,
  rosTopicName,
  rosTypeName,
  zmpMethod,
  zmpParamKey,
  zmpTopicName,
} from "./names.ts";
import { serviceMessageTypes, TypeCatalog } from "./typedefs.ts";

/** The rosapi services served, by name (without `/rosapi/`). */
export const ROSAPI_SERVICES: readonly string[] = [
  "topics",
  "services",
  "nodes",
  "node_details",
  "topic_type",
  "service_type",
  "get_param",
  "set_param",
  "delete_param",
  "get_param_names",
  "message_details",
  "service_request_details",
  "service_response_details",
];

/** A rosapi call that failed: answered `result: false` with the message. */
export class RosapiError extends Error {
  /** @param message what failed */
  constructor(message: string) {
    super(message);
    this.name = "RosapiError";
  }
}

/** The rosapi services' own names, as `/rosapi/<name>`. */
export function rosapiNames(): string[] {
  return ROSAPI_SERVICES.map((s) => `/rosapi/${s}`);
}

/**
 * The rosapi service `name` means, or `undefined`.
 *
 * @param service a service name from a client, e.g. `/rosapi/topics`
 * @returns the rosapi name, e.g. `topics`
 */
export function rosapiService(service: string): string | undefined {
  const m = /^\/?rosapi\/(\w+)$/.exec(service);
  return m && ROSAPI_SERVICES.includes(m[1]) ? m[1] : undefined;
}

function text(args: Record<string, unknown>, field: string): string {
  const v = args[field];
  if (typeof v !== "string") {
    throw new RosapiError(
      `field "${field}" must be a string, got ${
        v === undefined ? "nothing" : typeof v
      }`,
    );
  }
  return v;
}

/**
 * Answers one rosapi call.
 *
 * @param name the rosapi service, e.g. `topics`
 * @param args the request's fields
 * @param registry where the answers come from
 * @returns the response's fields
 * @throws {RosapiError} for a bad request or a failed change
 */
export async function callRosapi(
  name: string,
  args: Record<string, unknown>,
  registry: Registry,
): Promise<Record<string, unknown>> {
  const nodes = () => registry.nodes({ timeout: 3000 });
  switch (name) {
    case "topics": {
      const topics = [...liveTopics(await nodes()).values()]
        .sort((a, b) => a.name < b.name ? -1 : 1);
      return {
        topics: topics.map((t) => rosTopicName(t.name)),
        types: topics.map((t) => rosTypeName(t.typeName)),
      };
    }
    case "services":
      return { services: serviceNames(await nodes()) };
    case "nodes":
      return {
        nodes: (await nodes()).map((n) => `/${n.name}`).sort(),
      };
    case "node_details": {
      const wanted = text(args, "node").replace(/^\/+/, "");
      const node = (await nodes()).find((n) => n.name === wanted);
      if (node === undefined) {
        throw new RosapiError(
          `no live node is named ${JSON.stringify(wanted)}`,
        );
      }
      return {
        subscribing: node.subscribes.map((s) => rosTopicName(s.topic)),
        publishing: node.publishes.map((p) => rosTopicName(p.topic)),
        services: node.services.flatMap((s) =>
          (s.methods ?? []).map((m) => rosServiceName(s.name, m.name))
        ),
      };
    }
    case "topic_type": {
      const topic = liveTopics(await nodes()).get(
        zmpTopicName(text(args, "topic")),
      );
      return { type: topic === undefined ? "" : rosTypeName(topic.typeName) };
    }
    case "service_type": {
      const service = text(args, "service");
      const own = rosapiService(service);
      if (own !== undefined) return { type: `rosapi/${own}` };
      const found = zmpMethod(service, liveServices(await nodes()).keys());
      return {
        type: found === undefined
          ? ""
          : rosServiceType(found.service, found.method),
      };
    }
    case "get_param": {
      const key = zmpParamKey(text(args, "name"));
      const value = await registry.params.get(key, { timeout: 3000 });
      if (value !== undefined) return { value: stringifyJson(value) };
      const fallback = args.default;
      return {
        value: typeof fallback === "string" && fallback !== ""
          ? fallback
          : "null",
      };
    }
    case "set_param": {
      const key = zmpParamKey(text(args, "name"));
      let value: unknown;
      try {
        value = parseJson(text(args, "value"));
      } catch (e) {
        throw new RosapiError(
          `the value of ${rosParamName(key)} is not JSON: ${
            (e as Error).message
          }`,
        );
      }
      const schema = paramSchema(await nodes(), key);
      if (schema !== undefined) {
        const converted = fromJson(schema, value, key);
        if (converted.issues.length > 0) {
          const i = converted.issues[0];
          throw new RosapiError(
            `Invalid value for param ${
              rosParamName(key)
            }: ${i.path}: expected ${i.expected}, got ${i.received}`,
          );
        }
        value = converted.value;
      }
      await registry.params.set(key, value, { timeout: 3000 });
      return {};
    }
    case "delete_param":
      await registry.params.delete(zmpParamKey(text(args, "name")), {
        timeout: 3000,
      });
      return {};
    case "get_param_names":
      return {
        names: Object.keys(
          await registry.params.list(undefined, { timeout: 3000 }),
        )
          .map(rosParamName).sort(),
      };
    case "message_details": {
      const type = text(args, "type");
      const typedefs = new TypeCatalog(await nodes()).details(type);
      if (typedefs === undefined) {
        throw new RosapiError(`no live topic or service uses type ${type}`);
      }
      return { typedefs };
    }
    case "service_request_details":
    case "service_response_details": {
      const type = text(args, "type");
      const catalog = new TypeCatalog(await nodes());
      const m = /^zmp\/(.+)$/.exec(type);
      const messages = m
        ? { request: `${type}Request`, response: `${type}Response` }
        : undefined;
      const wanted = name === "service_request_details"
        ? messages?.request
        : messages?.response;
      const typedefs = wanted === undefined
        ? undefined
        : catalog.details(wanted);
      if (typedefs === undefined) {
        throw new RosapiError(`no live service has type ${type}`);
      }
      return { typedefs };
    }
    default:
      throw new RosapiError(`rosapi has no service ${name}`);
  }
}

function serviceNames(nodes: readonly NodeInfo[]): string[] {
  const names: string[] = [];
  for (const { entry } of liveServices(nodes).values()) {
    for (const m of entry.methods ?? []) {
      names.push(rosServiceName(entry.name, m.name));
    }
  }
  return [...names, ...rosapiNames()].sort();
}

function paramSchema(
  nodes: readonly NodeInfo[],
  key: string,
): Record<string, unknown> | undefined {
  for (const node of nodes) {
    for (const group of node.paramGroups ?? []) {
      if (!key.startsWith(`${group.namespace}.`)) continue;
      const entry = group.keys.find((k) =>
        `${group.namespace}.${k.name}` === key
      );
      if (entry !== undefined) return entry.schema;
    }
  }
  return undefined;
}

export { serviceMessageTypes };
