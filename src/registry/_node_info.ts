/**
 * What every registry backend does with a `NodeInfo` before storing it:
 * check it against the generated schema, keep only the fields that schema
 * knows (a newer client's extra fields are dropped, never stored nor sent
 * to watchers), and check names and sizes by the rule of `wire/names.ts`.
 *
 * @module
 */

import { assertValid } from "../wire/descriptors.ts";
import {
  checkCount,
  checkJsonSize,
  checkName,
  isValidName,
  MAX_KEYS_PER_PARAM_GROUP,
  MAX_METHODS_PER_SERVICE,
  MAX_NODE_INFO_BYTES,
  MAX_PARAMS_PER_NODE,
  MAX_SCHEMA_BYTES,
  MAX_SERVICES_PER_NODE,
  MAX_TOPICS_PER_NODE,
  MAX_USES_PER_NODE,
  type NameKind,
} from "../wire/names.ts";
import { checkNodeInfo } from "./_service.ts";
import schema from "./registry.api.schema.json" with { type: "json" };
import type { NodeInfo } from "./types.ts";

type Obj = Record<string, unknown>;

const DEFS = schema.$defs as Record<string, { properties?: Obj }>;

/** The fields the schema knows, by type name. */
function fields(name: string): ReadonlySet<string> {
  return new Set(Object.keys(DEFS[name].properties ?? {}));
}

/** Which nested lists hold which entry type, by parent type. */
const NESTED: Record<string, Record<string, string>> = {
  NodeInfo: {
    services: "ServiceEntry",
    publishes: "PublicationEntry",
    subscribes: "SubscriptionEntry",
    paramGroups: "ParamGroupEntry",
  },
  ServiceEntry: { methods: "MethodEntry" },
  ParamGroupEntry: { keys: "ParamKeyEntry" },
};

const KNOWN: Record<string, ReadonlySet<string>> = Object.fromEntries(
  [
    "NodeInfo",
    "ServiceEntry",
    "MethodEntry",
    "PublicationEntry",
    "SubscriptionEntry",
    "ParamGroupEntry",
    "ParamKeyEntry",
  ].map((n) => [n, fields(n)]),
);

function isObject(value: unknown): value is Obj {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function strip(value: unknown, type: string): unknown {
  if (!isObject(value)) return value;
  const known = KNOWN[type];
  const nested = NESTED[type] ?? {};
  const out: Obj = {};
  for (const [k, v] of Object.entries(value)) {
    if (!known.has(k)) continue;
    out[k] = nested[k] !== undefined && Array.isArray(v)
      ? v.map((item) => strip(item, nested[k]))
      : v;
  }
  return out;
}

/**
 * A copy of a node's info with only the fields `docs/PROTOCOL.md` §14
 * lists, at every level (the JSON Schemas inside are kept whole).
 *
 * @param info a node's info
 * @returns the copy
 */
export function knownFields(info: NodeInfo): NodeInfo {
  return strip(info, "NodeInfo") as NodeInfo;
}

/**
 * Checks the names and sizes of a node's info (already schema-valid).
 *
 * @param info the info
 * @param path its path in messages
 * @throws {NameError} naming the field: a bad name, too many entries, a
 *   schema or the whole info too large
 */
export function checkNodeInfoRules(info: NodeInfo, path = "info"): void {
  const name = (kind: NameKind, value: unknown, field: string) =>
    checkName(kind, value, { field: `${path}.${field}` });
  const size = (field: string, value: unknown) => {
    if (value !== undefined) {
      checkJsonSize(`${path}.${field}`, value, MAX_SCHEMA_BYTES);
    }
  };
  name("node", info.name, "name");
  checkCount(`${path}.services`, info.services.length, MAX_SERVICES_PER_NODE);
  checkCount(`${path}.publishes`, info.publishes.length, MAX_TOPICS_PER_NODE);
  checkCount(`${path}.subscribes`, info.subscribes.length, MAX_TOPICS_PER_NODE);
  checkCount(`${path}.params`, info.params.length, MAX_PARAMS_PER_NODE);
  checkCount(
    `${path}.paramGroups`,
    info.paramGroups?.length ?? 0,
    MAX_PARAMS_PER_NODE,
  );
  checkCount(`${path}.uses`, info.uses?.length ?? 0, MAX_USES_PER_NODE);
  info.services.forEach((s, i) => {
    const at = `services[${i}]`;
    name("service", s.name, `${at}.name`);
    const methods = s.methods ?? [];
    checkCount(
      `${path}.${at}.methods`,
      methods.length,
      MAX_METHODS_PER_SERVICE,
    );
    methods.forEach((m, j) => {
      name("method", m.name, `${at}.methods[${j}].name`);
      size(`${at}.methods[${j}].args`, m.args);
      size(`${at}.methods[${j}].result`, m.result);
    });
  });
  info.publishes.forEach((t, i) => {
    name("topic", t.topic, `publishes[${i}].topic`);
    size(`publishes[${i}].schema`, t.schema);
  });
  info.subscribes.forEach((t, i) => {
    name("topic", t.topic, `subscribes[${i}].topic`);
    size(`subscribes[${i}].schema`, t.schema);
  });
  info.params.forEach((p, i) => name("paramNamespace", p, `params[${i}]`));
  (info.paramGroups ?? []).forEach((g, i) => {
    const at = `paramGroups[${i}]`;
    name("paramNamespace", g.namespace, `${at}.namespace`);
    checkCount(`${path}.${at}.keys`, g.keys.length, MAX_KEYS_PER_PARAM_GROUP);
    g.keys.forEach((k, j) => {
      name("paramKey", `${g.namespace}.${k.name}`, `${at}.keys[${j}].name`);
      size(`${at}.keys[${j}].schema`, k.schema);
    });
  });
  // A used service is `Service` or `Service.method`.
  (info.uses ?? []).forEach((u, i) => {
    const dot = u.lastIndexOf(".");
    if (
      dot > 0 && isValidName("service", u.slice(0, dot)) &&
      isValidName("method", u.slice(dot + 1))
    ) return;
    name("service", u, `uses[${i}]`);
  });
  checkJsonSize(path, info, MAX_NODE_INFO_BYTES);
}

/**
 * What a backend stores: the info checked against the schema, stripped of
 * unknown fields, and checked by the rules of names and sizes.
 *
 * @param info a node's info, as received
 * @param path its path in messages
 * @returns the info to store
 * @throws {ValidationError} when it does not match the schema
 * @throws {NameError} for a bad name or size, naming the field
 */
export function admitNodeInfo(info: unknown, path = "info"): NodeInfo {
  assertValid(checkNodeInfo, info, "NodeInfo", path);
  const known = knownFields(info as NodeInfo);
  checkNodeInfoRules(known, path);
  return known;
}
