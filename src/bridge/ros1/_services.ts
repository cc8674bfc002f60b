/**
 * Services across the ROS 1 bridge. A zmp method meets a ROS service
 * type: the request's fields are the method's parameters, by name; the
 * response is the method's result when the result is an object with the
 * response's fields, else the response's single field holds the result (a
 * `void` method meets an empty response).
 *
 * `to-zmp`: the bridge provides the zmp service, and each call becomes a
 * TCPROS call to the ROS service. `to-ros`: the bridge serves the ROS
 * service over TCPROS, registered with the master, and each call becomes
 * a zmp call.
 *
 * @module
 */

import type {
  MethodDescriptor,
  ServiceDescriptor,
} from "../../wire/descriptors.ts";
import { RpcError } from "../../wire/errors.ts";
import type { CallContext } from "../../rpc/context.ts";
import type { RosServiceBridge } from "./define.ts";
import type { MessageDefinitionField, RosServiceType } from "./ros_types.ts";
import {
  checkField,
  checkMapping,
  fieldToRos,
  fieldToZmp,
  type MappingIssue,
  type Schema,
  toRos,
  toZmp,
} from "./convert.ts";
import {
  callRosService,
  RosServiceError,
  type RosServiceServer,
} from "./tcpros_service.ts";
import type { BridgeContext, BridgePart } from "./_part.ts";

/** How one method's values become one ROS service's messages and back. */
export interface ServiceShape {
  /** Fields that do not line up; empty when they do. */
  issues: MappingIssue[];
  /** Arguments → request message. */
  request(args: unknown[]): Record<string, unknown>;
  /** Request message → arguments. */
  args(request: unknown): unknown[];
  /** Response message → result. */
  result(response: unknown): unknown;
  /** Result → response message. */
  response(result: unknown): Record<string, unknown>;
}

function withDefs(schema: Schema, root: Schema): Schema {
  return root.$defs === undefined ? schema : { ...schema, $defs: root.$defs };
}

/**
 * Lines up a zmp method with a ROS service type.
 *
 * @param method the zmp method
 * @param type the ROS service type
 * @returns the issues and the conversions
 */
export function serviceShape(
  method: MethodDescriptor,
  type: RosServiceType,
): ServiceShape {
  const issues: MappingIssue[] = [];
  const argsSchema = method.argsSchema as Schema;
  const items = (argsSchema.prefixItems ?? []) as Schema[];
  const paramSchema = (i: number) => withDefs(items[i] ?? {}, argsSchema);
  const requestFields = type.request.definitions[0].definitions.filter((f) =>
    !f.isConstant
  );
  for (const field of requestFields) {
    const i = method.params.indexOf(field.name);
    if (i < 0) {
      issues.push({
        path: `request.${field.name}`,
        problem: `ROS request field has no parameter of ${method.name}(${
          method.params.join(", ")
        })`,
      });
    } else {
      issues.push(
        ...checkField(
          paramSchema(i),
          field,
          type.request,
          `request.${field.name}`,
        ),
      );
    }
  }
  method.params.forEach((p, i) => {
    if (i < method.requiredParams && !requestFields.some((f) => f.name === p)) {
      issues.push({
        path: `request.${p}`,
        problem:
          `parameter of ${method.name} is not a field of ROS ${type.request.name}`,
      });
    }
  });

  const resultSchema = method.resultSchema as Schema;
  const resolved = resolveRef(resultSchema);
  const responseFields = type.response.definitions[0].definitions.filter((f) =>
    !f.isConstant
  );
  const isObject = resolved.type === "object" ||
    resolved.properties !== undefined;
  const isVoid = resolved["x-type"] === "undefined";
  let single: MessageDefinitionField | undefined;
  if (isVoid) {
    if (responseFields.length > 0) {
      issues.push({
        path: "response",
        problem:
          `${method.name} returns nothing, ROS ${type.response.name} has ${responseFields.length} field(s)`,
      });
    }
  } else if (isObject) {
    issues.push(
      ...checkMapping(resultSchema, type.response).map((i) => ({
        path: `response.${i.path}`,
        problem: i.problem,
      })),
    );
  } else if (responseFields.length !== 1) {
    issues.push({
      path: "response",
      problem:
        `${method.name} returns one value, so ROS ${type.response.name} needs exactly one field, it has ${responseFields.length}`,
    });
  } else {
    single = responseFields[0];
    issues.push(
      ...checkField(
        resultSchema,
        single,
        type.response,
        `response.${single.name}`,
      ),
    );
  }

  return {
    issues,
    request(args) {
      const out: Record<string, unknown> = {};
      for (const f of requestFields) {
        out[f.name] = fieldToRos(
          f,
          type.request,
          args[method.params.indexOf(f.name)],
        );
      }
      return out;
    },
    args(request) {
      const r = request as Record<string, unknown>;
      const args = method.params.map((p, i) => {
        const f = requestFields.find((x) => x.name === p);
        return f === undefined
          ? undefined
          : fieldToZmp(f, type.request, r[p], paramSchema(i));
      });
      while (args.length > 0 && args.at(-1) === undefined) args.pop();
      return args;
    },
    result(response) {
      if (isVoid) return undefined;
      if (single === undefined) {
        return toZmp(type.response, response, resultSchema);
      }
      return fieldToZmp(
        single,
        type.response,
        (response as Record<string, unknown>)[single.name],
        resultSchema,
      );
    },
    response(result) {
      if (isVoid) return {};
      if (single === undefined) return toRos(type.response, result);
      return { [single.name]: fieldToRos(single, type.response, result) };
    },
  };
}

function resolveRef(schema: Schema): Schema {
  let s = schema;
  const defs = (schema.$defs ?? {}) as Record<string, Schema>;
  for (let i = 0; i < 32 && typeof s.$ref === "string"; i++) {
    s = defs[s.$ref.replace("#/$defs/", "")] ?? {};
  }
  return s;
}

/** A crossing, checked: the mapping, its ROS type and its shape. */
export interface CheckedService {
  mapping: RosServiceBridge;
  type: RosServiceType;
  shape: ServiceShape;
}

/**
 * Provides, on the zmp node, every zmp service that `to-zmp` crossings
 * name; each mapped method calls its ROS service, the others answer
 * `UNIMPLEMENTED`.
 *
 * @param ctx the running bridge
 * @param services the `to-zmp` crossings
 */
export async function provideRosServices(
  ctx: BridgeContext,
  services: CheckedService[],
): Promise<void> {
  const byService = new Map<string, CheckedService[]>();
  for (const s of services) {
    const list = byService.get(s.mapping.zmp.name) ?? [];
    list.push(s);
    byService.set(s.mapping.zmp.name, list);
  }
  for (const list of byService.values()) {
    const descriptor = list[0].mapping.zmp as ServiceDescriptor;
    const handlers: Record<string, (...args: unknown[]) => Promise<unknown>> =
      {};
    for (const name of Object.keys(descriptor.methods)) {
      const crossing = list.find((s) => s.mapping.method === name);
      handlers[name] = crossing === undefined
        ? () =>
          Promise.reject(
            new RpcError(
              "UNIMPLEMENTED",
              `${descriptor.name}.${name} is not bridged to ROS`,
            ),
          )
        : (...args) => callRos(ctx, crossing, args);
    }
    await ctx.node.provide(descriptor, handlers as never);
  }
}

async function callRos(
  ctx: BridgeContext,
  crossing: CheckedService,
  argsAndContext: unknown[],
): Promise<unknown> {
  const call = argsAndContext.at(-1) as CallContext;
  const args = argsAndContext.slice(0, -1);
  const { mapping, type, shape } = crossing;
  ctx.counters.calls++;
  let response: unknown;
  try {
    response = await callRosService(shape.request(args), {
      masterUri: ctx.masterUri,
      callerId: ctx.rosName,
      service: mapping.ros,
      type,
      signal: call.signal,
      timeout: mapping.timeout ?? 10000,
    });
  } catch (e) {
    if (e instanceof RosServiceError) {
      throw new RpcError(
        e.remote ? "UNKNOWN" : "UNAVAILABLE",
        e.remote
          ? `ROS service ${mapping.ros} failed: ${e.message}`
          : e.message,
      );
    }
    if ((e as Error)?.name === "TimeoutError") {
      throw new RpcError(
        "DEADLINE_EXCEEDED",
        `ROS service ${mapping.ros} did not answer within ${
          mapping.timeout ?? 10000
        } ms`,
      );
    }
    throw new RpcError(
      "UNAVAILABLE",
      `Cannot call ROS service ${mapping.ros}: ${(e as Error)?.message ?? e}`,
    );
  }
  return shape.result(response);
}

/**
 * Serves every `to-ros` crossing over TCPROS and registers it with the
 * master; each call becomes a zmp call.
 *
 * @param ctx the running bridge
 * @param server the TCPROS service server
 * @param services the `to-ros` crossings
 * @returns the part (re-registration, close)
 */
export async function serveZmpServices(
  ctx: BridgeContext,
  server: RosServiceServer,
  services: CheckedService[],
): Promise<BridgePart> {
  const register = async (s: CheckedService) => {
    const [code, message] = await ctx.ros.rosMasterClient.registerService(
      ctx.rosName,
      s.mapping.ros,
      server.uri,
      ctx.callerApi,
    );
    if (code !== 1) {
      throw new Error(
        `Cannot register ROS service ${s.mapping.ros}: ${message}`,
      );
    }
  };
  for (const s of services) {
    const { mapping, type, shape } = s;
    server.serve(mapping.ros, type, async (request) => {
      ctx.counters.calls++;
      const client = await ctx.node.client(mapping.zmp, {
        timeout: mapping.timeout ?? 10000,
      }) as unknown as Record<
        string,
        (...args: unknown[]) => Promise<unknown>
      >;
      try {
        const result = await client[mapping.method](...shape.args(request), {
          timeout: mapping.timeout ?? 10000,
        });
        return shape.response(result);
      } catch (e) {
        if (e instanceof RpcError) throw new Error(`${e.code}: ${e.message}`);
        throw e;
      }
    });
    await register(s);
  }
  return {
    async reregister() {
      for (const s of services) await register(s);
    },
    async close() {
      for (const { mapping } of services) {
        server.unserve(mapping.ros);
        await ctx.ros.rosMasterClient.unregisterService(
          ctx.rosName,
          mapping.ros,
          server.uri,
        ).catch(() => {});
      }
    },
  };
}
