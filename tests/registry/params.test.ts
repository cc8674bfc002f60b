/**
 * The registry's ParamStore across processes, and its params file.
 */

import { assert, assertEquals, assertRejects, waitFor } from "../_assert.ts";
import {
  connectRegistry,
  NameError,
  type ParamEvent,
  RpcError,
} from "../../mod.ts";
import { ClientProcess, Recorder, RegistryProcess } from "./_helpers.ts";

Deno.test("ParamStore across processes", async (t) => {
  await using registry = await RegistryProcess.start();
  await using other = await ClientProcess.start(registry.endpoint);
  await using client = await connectRegistry({ endpoint: registry.endpoint });
  const params = client.params;

  await t.step(
    "ParamStore.set() in one process is read by get() and list() in another",
    async () => {
      const start = new Date("2024-05-01T12:00:00Z");
      await other.request("set", { key: "robot.maxSpeed", value: 1.5 });
      await other.request("set", { key: "robot.start", value: start });
      await other.request("set", { key: "robotics.arm", value: "left" });
      assertEquals(await params.get("robot.maxSpeed"), 1.5);
      assertEquals(await params.get("robot.start"), start);
      assertEquals(await params.list("robot"), {
        "robot.maxSpeed": 1.5,
        "robot.start": start,
      });
      assertEquals(Object.keys(await params.list("rob")), []);
      assertEquals(Object.keys(await params.list("rob", {})), []);
      assertEquals(Object.keys(await params.list()), [
        "robot.maxSpeed",
        "robot.start",
        "robotics.arm",
      ]);
    },
  );

  await t.step(
    "ParamStore keeps Map, Set and bigint values (superjson)",
    async () => {
      const value = { limits: new Map([["x", 1n]]), tags: new Set(["a"]) };
      await params.set("robot.limits", value);
      assertEquals(await other.request("get", { key: "robot.limits" }), value);
    },
  );

  await t.step(
    "ParamStore.delete() answers whether the key existed; get() is then undefined",
    async () => {
      assertEquals(await params.delete("robot.limits"), true);
      assertEquals(
        await other.request("delete", { key: "robot.limits" }),
        false,
      );
      assertEquals(
        await other.request("get", { key: "robot.limits" }),
        undefined,
      );
      assertEquals(await params.get("never.set"), undefined);
    },
  );

  await t.step(
    "ParamStore.watch() in another process gets a snapshot, then set and deleted events under its prefix",
    async () => {
      const id = await other.startWatch("watchParams", "robot");
      await waitFor(() => other.events(id).length >= 1, "the snapshot");
      await params.set("robot.maxSpeed", 2);
      await params.set("robotics.arm", "right"); // not under "robot"
      await params.set("robot.maxSpeed", 2); // unchanged: no event
      await params.delete("robot.start");
      await waitFor(() => other.events(id).length >= 3, "three events");
      assertEquals(other.events(id), [
        {
          type: "snapshot",
          values: {
            "robot.maxSpeed": 1.5,
            "robot.start": new Date("2024-05-01T12:00:00Z"),
          },
        },
        { type: "set", key: "robot.maxSpeed", value: 2 },
        { type: "deleted", key: "robot.start" },
      ]);
    },
  );

  await t.step(
    "ParamStore.watch() here sees the sets of another process",
    async () => {
      await using watch = new Recorder<ParamEvent>((signal) =>
        params.watch("robot.", { signal })
      );
      await waitFor(() => watch.items.length >= 1, "the snapshot");
      assertEquals(watch.items[0], {
        type: "snapshot",
        values: { "robot.maxSpeed": 2 },
      });
      await other.request("set", { key: "robot.name", value: "r2" });
      await waitFor(() => watch.items.length >= 2, "the set event");
      assertEquals(watch.items[1], {
        type: "set",
        key: "robot.name",
        value: "r2",
      });
    },
  );

  await t.step(
    "ParamStore.set() rejects undefined and bad keys with TypeError",
    async () => {
      await assertRejects(
        () => params.set("robot.x", undefined),
        TypeError,
        'Cannot set param "robot.x": the value is undefined (use delete())',
      );
      const empty = await assertRejects(() => params.get(""), NameError);
      assert(empty instanceof TypeError);
      assertEquals(empty.field, "key");
      assertEquals(
        empty.message,
        'Cannot get param: a param key is 1 to 1024 bytes of UTF-8 other than "__proto__", got key ""',
      );
      await assertRejects(
        () => params.set("__proto__", 1),
        NameError,
        "Cannot set param: a param key is",
      );
      // 1024 characters, but 2048 bytes: over the limit.
      await assertRejects(
        () => params.set("é".repeat(1024), 1),
        NameError,
        "Cannot set param: a param key is 1 to 1024 bytes",
      );
    },
  );

  await t.step(
    "ParamStore.set() of a value over the registry's message limit fails with RESOURCE_EXHAUSTED",
    async () => {
      const error = await assertRejects(
        () => params.set("big.blob", "x".repeat(5 * 1024 * 1024)),
        RpcError,
      );
      assertEquals(error.code, "RESOURCE_EXHAUSTED");
      assertEquals(await params.get("big.blob"), undefined);
    },
  );
});

Deno.test("registry --params-file keeps params across a restart (even after SIGKILL)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "zmp_params_" });
  const file = `${dir}/params.json`;
  try {
    const values = {
      "robot.maxSpeed": 2.5,
      "robot.start": new Date("2024-01-02T03:04:05Z"),
      "robot.limits": new Map([["x", 10n]]),
      "robot.tags": new Set(["a", "b"]),
    };
    {
      await using registry = await RegistryProcess.start([
        "--params-file",
        file,
      ]);
      await using client = await connectRegistry({
        endpoint: registry.endpoint,
      });
      for (const [k, v] of Object.entries(values)) {
        await client.params.set(k, v);
      }
      await client.params.set("tmp.x", 1);
      await client.params.delete("tmp.x");
      await registry.kill("SIGKILL");
    }
    const text = await Deno.readTextFile(file);
    const json = JSON.parse(text);
    assertEquals(json.json.version, 1);
    assertEquals(json.json.params["robot.maxSpeed"], 2.5);
    assertEquals(json.json.params["robot.start"], "2024-01-02T03:04:05.000Z");
    assertEquals((await Array.fromAsync(Deno.readDir(dir))).length, 1);

    await using registry = await RegistryProcess.start([
      "--params-file",
      file,
    ]);
    await using client = await connectRegistry({ endpoint: registry.endpoint });
    assertEquals(await client.params.list(), values);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("registry with a corrupt --params-file exits 1 with one line naming the file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "zmp_params_" });
  const file = `${dir}/params.json`;
  try {
    for (const content of ["{not json", '{"json": {"version": 7}}', "[1]"]) {
      await Deno.writeTextFile(file, content);
      const child = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          new URL("../../src/registry/main.ts", import.meta.url).pathname,
          "--endpoint",
          "tcp://127.0.0.1:*",
          "--params-file",
          file,
        ],
        stdin: "null",
      });
      const { code, stdout, stderr } = await child.output();
      const err = new TextDecoder().decode(stderr);
      assertEquals(code, 1);
      assertEquals(new TextDecoder().decode(stdout), "");
      assertEquals(err.trimEnd().split("\n").length, 1, err);
      assert(
        err.startsWith(
          `zmp registry: Cannot load params from "${file}": the file is corrupt (`,
        ),
        err,
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
