/**
 * Where the CPU time of one zmp RPC call goes outside the transport: each
 * step the client and the server run per unary call, timed in-process with
 * no socket, for both codecs. A companion to `main.ts` for profiling:
 *
 *     deno run --allow-all bench/rpc/parts.ts [--json]
 *
 * The steps are the public functions `src/rpc` calls on its hot path
 * (`RpcClient.#prepare`/`#dispatch`/`#onMessage`, `RpcServer.#onRequest`/
 * `#unaryDone`); the sums are a floor for the JavaScript work of one call,
 * to set against the round trip and the calls/s that `main.ts` measures.
 *
 * @module
 */

import type { ValidationIssue } from "../../mod.ts";
import {
  checkFrameCount,
  type Codec,
  codecByName,
  decodeHeader,
  decodeMethodName,
  encodeHeader,
  encodeMethodName,
  encodeRequestHeader,
  KIND,
} from "../../src/wire/mod.ts";
import { BenchMsgpackService } from "./bench.api.gen.ts";
import { reply, SAMPLE } from "./_sample.mjs";

/** Nanoseconds per run of `fn`: the median of batches after a warm-up. */
function time(fn: () => unknown, batch = 20_000, batches = 7): number {
  for (let i = 0; i < batch; i++) fn();
  const per: number[] = [];
  for (let b = 0; b < batches; b++) {
    const t0 = performance.now();
    for (let i = 0; i < batch; i++) fn();
    per.push(((performance.now() - t0) * 1e6) / batch);
  }
  per.sort((a, b) => a - b);
  return Math.round(per[batches >> 1]);
}

interface Step {
  side: "client" | "server";
  step: string;
  where: string;
  ns: number;
}

function steps(codec: Codec): Step[] {
  const method = BenchMsgpackService.methods.echo;
  const args = [SAMPLE];
  const argsBytes = codec.encode(args);
  const result = reply(SAMPLE);
  const resultBytes = codec.encode(result);
  const header = encodeRequestHeader({ requestId: 7, codec: codec.id });
  const name = encodeMethodName("zmp.bench.BenchMsgpack", "echo");
  const out: Step[] = [];
  const add = (
    side: Step["side"],
    step: string,
    where: string,
    fn: () => unknown,
  ) => out.push({ side, step, where, ns: time(fn) });
  add(
    "client",
    "encode args",
    `codec_${codec.name}.ts encode`,
    () => codec.encode(args),
  );
  add(
    "client",
    "request header",
    "protocol.ts encodeRequestHeader",
    () => encodeRequestHeader({ requestId: 7, codec: codec.id, deadline: 0 }),
  );
  add(
    "client",
    "decode result",
    `codec_${codec.name}.ts decode`,
    () => codec.decode(resultBytes),
  );
  add("server", "decode header", "protocol.ts decodeHeader", () => {
    const h = decodeHeader(header);
    checkFrameCount(h.kind, 3, h.requestId);
  });
  add(
    "server",
    "method name",
    "protocol.ts decodeMethodName",
    () => decodeMethodName(name, 7),
  );
  add(
    "server",
    "decode args",
    `codec_${codec.name}.ts decode`,
    () => codec.decode(argsBytes),
  );
  add("server", "validate args", "generated validateArgs", () => {
    const issues: ValidationIssue[] = [];
    method.validateArgs(args, "args", issues);
  });
  add("server", "validate result", "generated validateResult", () => {
    const issues: ValidationIssue[] = [];
    method.validateResult(result, "result", issues);
  });
  add(
    "server",
    "encode result",
    `codec_${codec.name}.ts encode`,
    () => codec.encode(result),
  );
  add(
    "server",
    "response header",
    "protocol.ts encodeHeader",
    () => encodeHeader(KIND.RESPONSE, 7, codec.id),
  );
  return out;
}

function main(): void {
  const json = Deno.args.includes("--json");
  const report: Record<
    string,
    { steps: Step[]; client_ns: number; server_ns: number }
  > = {};
  for (const name of ["msgpack", "superjson"] as const) {
    const list = steps(codecByName(name));
    const sum = (side: Step["side"]) =>
      list.filter((s) => s.side === side).reduce((a, s) => a + s.ns, 0);
    report[name] = {
      steps: list,
      client_ns: sum("client"),
      server_ns: sum("server"),
    };
  }
  if (json) {
    console.log(JSON.stringify(report));
    return;
  }
  for (const [name, r] of Object.entries(report)) {
    console.log(
      `${name}: client ${r.client_ns} ns, server ${r.server_ns} ns per call`,
    );
    for (const s of r.steps) {
      console.log(
        `  ${s.side.padEnd(7)} ${s.step.padEnd(16)} ${
          String(s.ns).padStart(7)
        } ns  ${s.where}`,
      );
    }
  }
}

main();
