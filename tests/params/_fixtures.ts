/**
 * A hand-written params descriptor standing in for a generated one.
 *
 * @module
 */

import {
  describe,
  type ParamDescriptor,
  type ParamsDescriptor,
  type Validator,
} from "../../mod.ts";

/** The user's `@params robot` interface. */
export interface Robot {
  /** Top speed, m/s. */
  maxSpeed: number;
  /** The robot's name. */
  name: string;
  /** How it is driven. */
  mode: "auto" | "manual";
  /** When it was commissioned. */
  since?: Date;
}

function check(expected: string, ok: (v: unknown) => boolean): Validator {
  return (v, path, issues) => {
    if (!ok(v)) issues.push({ path, expected, received: describe(v) });
  };
}

function key(
  name: string,
  validate: Validator,
  optional = false,
): ParamDescriptor {
  return { name, optional, validate, schema: {} };
}

/** The descriptor of {@linkcode Robot}. */
export const RobotParams: ParamsDescriptor<Robot> = {
  namespace: "robot",
  typeName: "Robot",
  keys: {
    maxSpeed: key(
      "maxSpeed",
      check("number", (v) => typeof v === "number" && Number.isFinite(v)),
    ),
    name: key("name", check("string", (v) => typeof v === "string")),
    mode: key(
      "mode",
      check('"auto" | "manual"', (v) => v === "auto" || v === "manual"),
    ),
    since: key("since", check("Date", (v) => v instanceof Date), true),
  },
  validate: () => {},
  schema: { type: "object" },
  source: "tests/params/_fixtures.ts",
};
