/**
 * `paramsGroup()`: a typed, validated params group over the registry's
 * ParamStore (a real registry in this process, real sockets).
 */

import { assert, assertEquals, assertRejects, waitFor } from "../_assert.ts";
import {
  connectRegistry,
  paramsGroup,
  type ParamsGroupChange,
  startRegistry,
  ValidationError,
} from "../../mod.ts";
import { Recorder } from "../registry/_helpers.ts";
import { encodeParams } from "../../src/registry/_params_file.ts";
import { type Robot, RobotParams } from "./_fixtures.ts";
import { EtcdCluster } from "../_etcd.ts";

function capture() {
  const lines: string[] = [];
  return {
    lines,
    logger: {
      warn: (m: string) => lines.push(`warn ${m}`),
      error: (m: string) => lines.push(`error ${m}`),
    },
  };
}

Deno.test("paramsGroup() over the registry's ParamStore", async (t) => {
  await using server = await startRegistry({ endpoint: "tcp://127.0.0.1:*" });
  await using registry = await connectRegistry({ endpoint: server.endpoint });
  const store = registry.params;
  const log = capture();
  const robot = paramsGroup(store, RobotParams, { logger: log.logger });

  await t.step("ParamsGroup.namespace is the descriptor's", () => {
    assertEquals(robot.namespace, "robot");
  });

  await t.step("ParamsGroup.get() returns undefined when unset", async () => {
    assertEquals(await robot.get("maxSpeed"), undefined);
  });

  await t.step(
    "ParamsGroup.set() stores under namespace.key; get() reads it back",
    async () => {
      const since = new Date("2020-02-02T00:00:00Z");
      await robot.set("maxSpeed", 2.5);
      await robot.set("since", since);
      assertEquals(await robot.get("maxSpeed"), 2.5);
      assertEquals(await robot.get("since"), since);
      assertEquals(await store.get("robot.maxSpeed"), 2.5);
    },
  );

  await t.step(
    "ParamsGroup.set() rejects an invalid value with ValidationError and stores nothing",
    async () => {
      const error = await assertRejects(
        () => robot.set("mode", "turbo" as Robot["mode"]),
        ValidationError,
      );
      assertEquals(
        error.message,
        'Invalid value for param robot.mode: robot.mode: expected "auto" | "manual", got string "turbo"',
      );
      assertEquals(error.issues, [{
        path: "robot.mode",
        expected: '"auto" | "manual"',
        received: 'string "turbo"',
      }]);
      assertEquals(await store.get("robot.mode"), undefined);
      await assertRejects(
        () => robot.set("maxSpeed", undefined as unknown as number),
        ValidationError,
        "Invalid value for param robot.maxSpeed: robot.maxSpeed: expected number, got undefined",
      );
    },
  );

  await t.step(
    "ParamsGroup rejects a key the group does not have with TypeError naming the keys",
    async () => {
      const untyped = robot as unknown as {
        set(k: string, v: unknown): Promise<void>;
        get(k: string): Promise<unknown>;
        delete(k: string): Promise<boolean>;
      };
      for (const what of ["set", "get", "delete"] as const) {
        await assertRejects(
          () =>
            what === "set"
              ? untyped.set("colour", "red")
              : untyped[what]("colour"),
          TypeError,
          `Cannot ${what} param "robot.colour": the group robot has keys maxSpeed, name, mode, since`,
        );
      }
      assertEquals(await store.get("robot.colour"), undefined);
    },
  );

  await t.step(
    "ParamsGroup.get() of a stored value of the wrong type throws ValidationError",
    async () => {
      await store.set("robot.name", 42);
      await assertRejects(
        () => robot.get("name"),
        ValidationError,
        "Invalid stored value of param robot.name: robot.name: expected string, got number 42",
      );
    },
  );

  await t.step(
    "ParamsGroup.getAll() returns the valid set keys, logging the rest",
    async () => {
      await store.set("robot.extra", true);
      log.lines.length = 0;
      assertEquals(await robot.getAll(), {
        maxSpeed: 2.5,
        since: new Date("2020-02-02T00:00:00Z"),
      });
      assertEquals(log.lines, [
        "warn ignored param robot.extra: the group robot has no such key",
        "warn ignored param robot.name: Invalid stored value: robot.name: expected string, got number 42",
      ]);
      await store.delete("robot.extra");
      await store.delete("robot.name");
    },
  );

  await t.step(
    "ParamsGroup.delete() answers whether the key was set",
    async () => {
      assertEquals(await robot.delete("since"), true);
      assertEquals(await robot.delete("since"), false);
      assertEquals(await robot.get("since"), undefined);
    },
  );

  await t.step(
    "ParamsGroup.watch() yields the current values, then typed changes; invalid values are skipped and logged",
    async () => {
      await robot.set("name", "r2");
      await using watch = new Recorder<ParamsGroupChange<Robot>>((signal) =>
        robot.watch({ signal })
      );
      await waitFor(() => watch.items.length >= 2, "the current values");
      assertEquals(
        [...watch.items].sort((a, b) => a.key.localeCompare(b.key)),
        [{ key: "maxSpeed", value: 2.5 }, { key: "name", value: "r2" }],
      );
      log.lines.length = 0;
      await store.set("robot.mode", "warp"); // invalid: skipped
      await robot.set("mode", "manual");
      await robot.delete("name");
      await store.set("other.x", 1); // another namespace: not seen
      await waitFor(() => watch.items.length >= 4, "two changes");
      assertEquals(watch.items.slice(2), [
        { key: "mode", value: "manual" },
        { key: "name", value: undefined },
      ]);
      assertEquals(log.lines, [
        'warn ignored param robot.mode: Invalid stored value: robot.mode: expected "auto" | "manual", got string "warp"',
      ]);
      assertEquals(watch.error, undefined);
    },
  );

  await t.step(
    "ParamsGroup.watch() ends when the group's signal aborts",
    async () => {
      const controller = new AbortController();
      const group = paramsGroup(store, RobotParams, {
        signal: controller.signal,
        logger: log.logger,
      });
      const seen: unknown[] = [];
      const loop = (async () => {
        for await (const change of group.watch()) seen.push(change);
      })();
      await waitFor(() => seen.length >= 2, "the current values");
      controller.abort();
      await loop;
      assert(seen.length >= 2);
    },
  );
});

Deno.test("ParamsGroup.watch() after a registry restart reports only what changed, deletions as undefined", async () => {
  const dir = await Deno.makeTempDir({ prefix: "zmp_group_" });
  const file = `${dir}/params.json`;
  // What the next registry will start with: name gone, maxSpeed the same,
  // mode new.
  await Deno.writeTextFile(
    file,
    encodeParams({
      params: new Map([
        ["robot.maxSpeed", { value: 1, revision: 1 }],
        ["robot.mode", { value: "auto", revision: 2 }],
      ]),
      revision: 2,
    }),
  );
  const first = await startRegistry({ endpoint: "tcp://127.0.0.1:*" });
  const endpoint = first.endpoint;
  let second: Awaited<ReturnType<typeof startRegistry>> | undefined;
  try {
    await using registry = await connectRegistry({ endpoint });
    const robot = paramsGroup(registry.params, RobotParams, {
      logger: capture().logger,
    });
    await robot.set("maxSpeed", 1);
    await robot.set("name", "r1");
    await using watch = new Recorder<ParamsGroupChange<Robot>>((signal) =>
      robot.watch({ signal })
    );
    await waitFor(() => watch.items.length >= 2, "the current values");
    await first.close();
    second = await startRegistry({ endpoint, paramsFile: file });
    await waitFor(
      () => watch.items.length >= 4,
      "the changes after the restart",
      { timeout: 8000 },
    );
    assertEquals(
      [...watch.items.slice(2)].sort((a, b) => a.key.localeCompare(b.key)),
      [{ key: "mode", value: "auto" }, { key: "name", value: undefined }],
    );
  } finally {
    await first.close();
    await second?.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ParamsGroup.update() is a checked read-modify-write that loses no update, on both backends", async (t) => {
  const run = async (endpoint: string) => {
    await using a = await connectRegistry({ endpoint });
    await using b = await connectRegistry({ endpoint });
    const ra = paramsGroup(a.params, RobotParams, { logger: capture().logger });
    const rb = paramsGroup(b.params, RobotParams, { logger: capture().logger });
    const bump = (r: typeof ra) => r.update("maxSpeed", (v) => (v ?? 0) + 1);
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => bump(i % 2 === 0 ? ra : rb)),
    );
    assertEquals(await ra.get("maxSpeed"), 20);
    await assertRejects(
      () => ra.update("mode", () => "turbo" as Robot["mode"]),
      ValidationError,
    );
    assertEquals(await ra.get("mode"), undefined);
    assertEquals(await ra.update("maxSpeed", () => undefined), 20);
  };
  await t.step("embedded", async () => {
    await using server = await startRegistry({ endpoint: "tcp://127.0.0.1:*" });
    await run(server.endpoint);
  });
  await t.step("etcd", async () => {
    await using etcd = await EtcdCluster.start();
    await run(etcd.url);
  });
});
