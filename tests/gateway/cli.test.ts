/**
 * `zmp gateway` as a real subprocess: usage errors, a registry that is
 * down, a taken port, and serving a live system until SIGTERM.
 */

import {
  assert,
  assertEquals,
  assertMatch,
  assertStringIncludes,
} from "../_assert.ts";
import { startRegistry } from "../../src/registry/server.ts";
import { runNode } from "../../src/node/run.ts";
import { ROOT, runZmp } from "../launch/_harness.ts";
import { labSample, post, repo } from "./_harness.ts";

const CLI = new URL("src/cli/main.ts", `file://${ROOT}`).pathname;

Deno.test("zmp gateway --help, bad arguments (exit 2), no registry (exit 1)", async () => {
  const help = await runZmp(["gateway", "--help"]);
  assertEquals(help.code, 0);
  assertStringIncludes(help.stdout, "Usage: zmp gateway [options]");
  assertStringIncludes(help.stdout, "POST /rpc/<Service>/<method>");
  const list = await runZmp(["--help"]);
  assertMatch(list.stdout, /gateway\s+serve the system over HTTP\/JSON/);
  for (
    const [args, message] of [
      [
        ["--port", "http"],
        '--port must be a whole number from 0 to 65535, got "http"',
      ],
      [["--port", "70000"], "--port must be a whole number from 0 to 65535"],
      [["--max-body", "0"], "--max-body must be a whole number > 0"],
      [["--max-elements", "-1"], "--max-elements must be a whole number > 0"],
      [
        ["--call-timeout", "soon"],
        "--call-timeout must be a whole number of milliseconds",
      ],
      [["extra"], 'unexpected argument "extra"'],
      [["--nope"], "Unknown option '--nope'"],
    ] as const
  ) {
    const r = await runZmp(["gateway", ...args]);
    assertEquals(r.code, 2, args.join(" "));
    assertEquals(r.stderr.trim().split("\n").length, 1, r.stderr);
    assertStringIncludes(r.stderr, message);
    assertStringIncludes(r.stderr, "(see zmp gateway --help)");
  }
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  const down = await runZmp([
    "gateway",
    "--port",
    "0",
    "--registry",
    `tcp://127.0.0.1:${port}`,
    "--timeout",
    "300",
  ]);
  assertEquals(down.code, 1);
  assertEquals(down.stderr.trim().split("\n").length, 1, down.stderr);
  assertMatch(
    down.stderr,
    /^zmp gateway: Cannot reach the zmp registry at tcp:\/\/127\.0\.0\.1:\d+/,
  );
});

Deno.test("zmp gateway serves a live system until SIGTERM; a taken port is exit 1", async () => {
  await using registry = await startRegistry({ endpoint: "tcp://127.0.0.1:*" });
  const stop = new AbortController();
  const lab = runNode(repo("tests/gateway/fixtures/lab_node.ts"), {
    name: "lab",
    registry: registry.endpoint,
    signal: stop.signal,
    logger: { debug() {}, info() {}, warn() {}, error() {} },
  });
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      CLI,
      "gateway",
      "--port",
      "0",
      "--registry",
      registry.endpoint,
      "--max-elements",
      "100",
    ],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  try {
    let out = "";
    while (!out.includes("\n")) {
      const { value, done } = await lines.read();
      if (done) break;
      out += value;
    }
    const m =
      /^zmp gateway: serving (http:\/\/127\.0\.0\.1:(\d+)\/) \(registry (\S+); Ctrl-C to stop\)$/m
        .exec(out);
    assert(m !== null, `the serving line, got ${JSON.stringify(out)}`);
    const [, url, port, endpoint] = m;
    assertEquals(endpoint, registry.endpoint);
    let sum;
    for (let i = 0; i < 100; i++) {
      sum = await post(`${url}rpc/Lab/add`, [40, 2]);
      if (sum.status === 200) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assertEquals(sum?.body, 42);
    // --max-elements: a reply of more values is refused unread, with 502.
    const large = await post(`${url}rpc/Lab/echo`, [labSample(200)]);
    assertEquals(
      [large.status, large.body.details?.reason, large.body.details?.max],
      [502, "REPLY_TOO_LARGE", 100],
    );
    const fits = await post(`${url}rpc/Lab/echo`, [labSample(10)]);
    assertEquals([fits.status, fits.body.tags?.length], [200, 10]);
    const page = await fetch(url);
    assertEquals(page.headers.get("content-type"), "text/html; charset=utf-8");
    assertStringIncludes(await page.text(), "<title>zmp system</title>");

    const second = await runZmp([
      "gateway",
      "--port",
      port,
      "--registry",
      registry.endpoint,
    ]);
    assertEquals(second.code, 1);
    assertEquals(
      second.stderr.trim(),
      `zmp gateway: Cannot listen on 127.0.0.1:${port}: the address is in use`,
    );

    child.kill("SIGTERM");
    const status = await child.status;
    assertEquals(status.code, 0, await stderr);
  } finally {
    try {
      child.kill("SIGKILL");
    } catch {
      // exited
    }
    await child.status;
    await lines.cancel().catch(() => {});
    await stderr.catch(() => {});
    stop.abort();
    await lab;
  }
});
