/**
 * `zmp launch --metrics-port`: a real Prometheus (Debian's) scrapes a
 * launched example and answers queries about it.
 */

import { assert, assertEquals, assertMatch, waitFor } from "../_assert.ts";
import { Zmp } from "./_helpers.ts";

/** A port free now (bound then released). */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

Deno.test("zmp launch --metrics-port: Prometheus scrapes every node of a launched example", async () => {
  const dir = await Deno.makeTempDir({ prefix: "zmp-prometheus-" });
  await using launch = new Zmp([
    "launch",
    "examples/control/launch.ts",
    "--metrics-port",
    "0",
  ]);
  let prometheus: Deno.ChildProcess | undefined;
  try {
    const url = (await launch.line(/Prometheus text at (http:\/\/\S+)/))[1];
    await launch.line(/controller subscribes to control\/measurement/);
    // The endpoint itself.
    const first = await fetch(url);
    assertEquals(first.status, 200);
    assertMatch(
      first.headers.get("content-type") ?? "",
      /^text\/plain; version=0\.0\.4/,
    );
    const text = await first.text();
    assert(text.includes('zmp_up{node="plant"} 1'), text);
    assert(text.includes('zmp_up{node="registry"} 1'), text);
    assertEquals((await fetch(url.replace("/metrics", "/x"))).status, 404);

    const { host } = new URL(url);
    await Deno.writeTextFile(
      `${dir}/prometheus.yml`,
      [
        "global:",
        "  scrape_interval: 1s",
        "scrape_configs:",
        "  - job_name: zmp",
        "    static_configs:",
        `      - targets: ["${host}"]`,
        "",
      ].join("\n"),
    );
    const web = `127.0.0.1:${freePort()}`;
    prometheus = new Deno.Command("prometheus", {
      args: [
        `--config.file=${dir}/prometheus.yml`,
        `--storage.tsdb.path=${dir}/data`,
        `--web.listen-address=${web}`,
      ],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const log = prometheus.stderr.pipeThrough(new TextDecoderStream());
    const logged: string[] = [];
    const reading = (async () => {
      for await (const chunk of log) logged.push(chunk);
    })();
    const query = async (q: string) => {
      const r = await fetch(
        `http://${web}/api/v1/query?query=${encodeURIComponent(q)}`,
      ).catch(() => undefined);
      if (r === undefined || !r.ok) {
        await r?.body?.cancel();
        return [];
      }
      const body = await r.json();
      return body.data.result as {
        metric: Record<string, string>;
        value: [number, string];
      }[];
    };
    // The first sample comes about 5.5 s after Prometheus starts.
    let rows: Awaited<ReturnType<typeof query>> = [];
    await waitFor(
      async () => {
        rows = await query(
          'zmp_topic_messages_total{topic="control/measurement",role="publisher"}',
        );
        return rows.length > 0 && Number(rows[0].value[1]) > 0;
      },
      `Prometheus to scrape the launch; its log:\n${logged.join("")}`,
      {
        timeout: 60000,
        interval: 250,
      },
    );
    assertEquals(rows[0].metric.node, "plant");
    assertEquals(rows[0].metric.job, "zmp");
    const up = await query('up{job="zmp"}');
    assertEquals(up[0].value[1], "1");
    const nodes = (await query("zmp_up")).map((r) => r.metric.node).sort();
    assertEquals(nodes, ["controller", "plant", "registry"]);
    prometheus.kill("SIGTERM");
    await prometheus.status;
    await reading;
    prometheus = undefined;
    assertEquals(await launch.stop(), 0, launch.text);
  } finally {
    if (prometheus !== undefined) {
      try {
        prometheus.kill("SIGKILL");
      } catch {
        // gone
      }
      await prometheus.status;
      await prometheus.stderr.cancel().catch(() => {});
    }
    await Deno.remove(dir, { recursive: true });
  }
});
