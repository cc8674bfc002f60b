/**
 * Params across the ROS 1 bridge: a typed zmp params group mirrored with
 * a namespace of the ROS parameter server. zmp key `<namespace>.<key>` is
 * ROS param `<ros>/<key>`. Values cross as JSON (XML-RPC on the ROS side)
 * and are checked against the group's types on the way into zmp; a value
 * that the bridge just copied is not copied back.
 *
 * @module
 */

import type { ParamUpdateArgs } from "@foxglove/ros1";
import type { XmlRpcValue } from "@foxglove/xmlrpc";
import type { ParamsDescriptor } from "../../wire/descriptors.ts";
import { fromJson, stringifyJson } from "../../wire/json_schema.ts";
import type { RosParamsBridge } from "./define.ts";
import { type BridgeContext, type BridgePart, warnOn } from "./_part.ts";

/**
 * Starts mirroring one params group.
 *
 * @param ctx the running bridge
 * @param mapping what the bridge file says
 * @returns the started part
 */
export async function startParams(
  ctx: BridgeContext,
  mapping: RosParamsBridge,
): Promise<BridgePart> {
  const { node, ros, log } = ctx;
  const descriptor = mapping.zmp as ParamsDescriptor<Record<string, unknown>>;
  const group = node.params(descriptor);
  const prefix = mapping.ros.replace(/\/+$/, "");
  const keys = Object.keys(descriptor.keys);
  const rosKey = (key: string) => `${prefix}/${key}`;
  const toZmp = mapping.direction !== "to-ros";
  const toRos = mapping.direction !== "to-zmp";
  /** The last value seen on either side, as JSON, by key: no echo. */
  const last = new Map<string, string>();
  const abort = new AbortController();
  let chain = Promise.resolve();
  const serial = (fn: () => Promise<void>) => {
    chain = chain.then(fn).catch(warnOn(log, `params ${prefix}`));
    return chain;
  };

  const fromRos = (key: string, value: XmlRpcValue | undefined) =>
    serial(async () => {
      const text = value === undefined ? undefined : stringifyJson(value);
      if (last.get(key) === text) return;
      if (value === undefined) {
        last.delete(key);
        await group.delete(key);
      } else {
        const converted = fromJson(
          descriptor.keys[key].schema,
          value,
          `${descriptor.namespace}.${key}`,
        );
        if (converted.issues.length > 0) {
          const i = converted.issues[0];
          log.warn(
            `ROS param ${rosKey(key)} does not fit ${descriptor.typeName}`,
            {
              error: `${i.path}: expected ${i.expected}, got ${i.received}`,
            },
          );
          return;
        }
        last.set(key, text!);
        await group.set(key, converted.value);
      }
      ctx.counters.params++;
    });

  const pushToRos = (key: string, value: unknown) =>
    serial(async () => {
      const text = value === undefined ? undefined : stringifyJson(value);
      if (last.get(key) === text) return;
      if (value === undefined) {
        last.delete(key);
        await ros.rosParamClient.deleteParam(ctx.rosName, rosKey(key));
      } else {
        last.set(key, text!);
        await ros.setParameter(rosKey(key), JSON.parse(text!) as XmlRpcValue);
      }
      ctx.counters.params++;
    });

  const onUpdate = ({ key, value, callerId }: ParamUpdateArgs) => {
    if (!toZmp || callerId === ctx.rosName) return;
    const name = key.replace(/\/+$/, "");
    if (!name.startsWith(`${prefix}/`)) return;
    const short = name.slice(prefix.length + 1);
    if (!keys.includes(short)) return;
    // The master sends an empty struct for a deleted param.
    const gone = value === undefined ||
      (typeof value === "object" && value !== null && !Array.isArray(value) &&
        !(value instanceof Date) && !(value instanceof Uint8Array) &&
        Object.keys(value).length === 0);
    fromRos(short, gone ? undefined : value);
  };

  /** Reads (and, for `to-zmp`, subscribes to) every key on the master. */
  const syncFromRos = async () => {
    for (const key of keys) {
      let value: XmlRpcValue | undefined;
      if (toZmp) value = await ros.subscribeParam(rosKey(key));
      else {
        const [code, , v] = await ros.rosParamClient.getParam(
          ctx.rosName,
          rosKey(key),
        );
        value = code === 1 ? v : undefined;
      }
      if (value !== undefined && toZmp) await fromRos(key, value);
      else if (value !== undefined) last.set(key, stringifyJson(value));
    }
  };

  ros.on("paramUpdate", onUpdate);
  await syncFromRos();
  await chain;
  let watching: Promise<void> = Promise.resolve();
  if (toRos) {
    const watch = group.watch({ signal: abort.signal });
    watching = (async () => {
      for await (const { key, value } of watch) await pushToRos(key, value);
    })().catch((e) => {
      if (!abort.signal.aborted) warnOn(log, `params ${prefix}`)(e);
    });
  }

  return {
    async reregister() {
      // A restarted master has an empty parameter server: copy zmp's
      // values there first (for to-ros), then subscribe again.
      if (toRos) {
        last.clear();
        const values = await group.getAll();
        for (const [key, value] of Object.entries(values)) {
          await pushToRos(key, value);
        }
      }
      await syncFromRos();
    },
    async close() {
      ros.off("paramUpdate", onUpdate);
      abort.abort();
      await watching;
      await chain;
    },
  };
}
