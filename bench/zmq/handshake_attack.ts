/**
 * What a retry loop of failing handshakes costs a good client, and where
 * the server spends it (issue #13, item 5): an echo ROUTER in a process of
 * its own, a good DEALER here making sequential round trips, and an
 * attacker process that opens a fresh socket per handshake, 8 at a time
 * (CURVE with a key the server refuses, or plain), at full speed or at a
 * given rate. Per run: the good client's p50/p99 quiet and under attack,
 * the attack's rate, and the server's CPU per handshake by thread (read
 * from `/proc`), so that libzmq's I/O thread, the JS thread and the
 * reactor can be told apart.
 *
 *     deno run -A bench/zmq/handshake_attack.ts [options]
 *
 * Server modes: `plain`; `curve` (CURVE, no authenticate hook: no ZAP);
 * `deny` (CURVE with a hook that admits only the good key: on libzmq,
 * ZAP through the JS thread). `--pin split` puts the server alone on CPU 0
 * and everything else on CPU 1; `--pin shared` puts the attacker on the
 * server's CPU 0 and the good client on CPU 1 (`taskset`).
 *
 * @module
 */

import { parseArgs } from "node:util";
import {
  Context,
  curveKeypair,
  Dealer,
  type EngineName,
  Router,
} from "../../src/zmq/mod.ts";

const USAGE = `usage: deno run -A bench/zmq/handshake_attack.ts [options]

  --engine E            the server's engine: libzmq or zmtp (default libzmq)
  --attacker-engine E   the attacker's engine (default: the server's)
  --server M,...        plain, curve, deny (default deny,curve,plain)
  --rate N              handshakes a second, 0 for full speed (default 0)
  --seconds S           how long each attack lasts (default 3)
  --pin P               none, split or shared (default none)
  --runs N              runs of each configuration (default 1)
  -h, --help            this text`;

const SELF = new URL(import.meta.url).pathname;
const CONFIG = new URL("../../deno.json", import.meta.url).pathname;
const PARALLEL = 8;

type Mode = "plain" | "curve" | "deny";

/** The server role: an echo ROUTER; prints its endpoint and keys. */
async function server(mode: Mode): Promise<void> {
  const [keys, good] = await Promise.all([curveKeypair(), curveKeypair()]);
  const curve = mode === "plain" ? {} : {
    curveServer: true,
    curvePublicKey: keys.publicKey,
    curveSecretKey: keys.secretKey,
  };
  const router = new Router({
    context: new Context(),
    ...curve,
    ...(mode === "deny"
      ? {
        authenticate: ({ publicKey }: { publicKey: string }) =>
          publicKey === good.publicKey,
      }
      : {}),
  });
  router.bind("tcp://127.0.0.1:*");
  console.log(JSON.stringify({
    pid: Deno.pid,
    endpoint: router.getOption("lastEndpoint"),
    serverKey: keys.publicKey,
    good,
  }));
  for await (const frames of router) await router.send(frames);
}

/**
 * The attacker role: handshakes on fresh sockets, `PARALLEL` at a time;
 * says `ready` after 50, attacks for `seconds` more, then prints
 * `{count}` (handshakes since ready).
 */
async function attacker(
  mode: "plain" | "curve",
  endpoint: string,
  serverKey: string,
  seconds: number,
  rate: number,
): Promise<void> {
  const stranger = await curveKeypair();
  const once = async () => {
    const d = new Dealer({
      ...(mode === "curve"
        ? {
          curvePublicKey: stranger.publicKey,
          curveSecretKey: stranger.secretKey,
          curveServerKey: serverKey,
        }
        : {}),
      reconnectInterval: -1,
    });
    try {
      const monitor = d.monitor([
        "handshakeFailedAuth",
        "handshakeFailedProtocol",
        "handshakeFailedNoDetail",
        "handshakeSucceeded",
        "disconnected",
      ]);
      d.connect(endpoint);
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        monitor.next(),
        new Promise((r) => timer = setTimeout(r, 2000)),
      ]);
      clearTimeout(timer);
    } finally {
      d.close();
    }
  };
  let done = 0;
  let started = 0;
  let end = Infinity;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: PARALLEL }, async () => {
    while (performance.now() < end && done < 1_000_000) {
      if (rate > 0) {
        const at = t0 + (started++ * 1000) / rate;
        const wait = at - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
      await once().catch(() => {});
      if (++done === 50) {
        console.log("ready");
        end = performance.now() + seconds * 1000;
      }
    }
  }));
  console.log(JSON.stringify({ count: done - 50 }));
}

/** CPU time of each thread of a process, in ms, by thread name. */
async function threadCpu(pid: number): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for await (const e of Deno.readDir(`/proc/${pid}/task`)) {
    try {
      const stat = await Deno.readTextFile(`/proc/${pid}/task/${e.name}/stat`);
      const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      // utime + stime, in clock ticks (100 a second on Linux).
      out.set(
        name,
        (out.get(name) ?? 0) + (Number(f[11]) + Number(f[12])) * 10,
      );
    } catch {
      // the thread ended
    }
  }
  return out;
}

/** A child's stdout, line by line. */
class Lines {
  readonly #reader: ReadableStreamDefaultReader<string>;
  #buffer = "";
  #queue: string[] = [];

  constructor(stream: ReadableStream<Uint8Array>) {
    this.#reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  }

  async next(): Promise<string> {
    while (this.#queue.length === 0) {
      const { value, done } = await this.#reader.read();
      if (done) throw new Error("the child ended");
      const parts = (this.#buffer + value).split("\n");
      this.#buffer = parts.pop()!;
      this.#queue.push(...parts);
    }
    return this.#queue.shift()!;
  }

  cancel(): Promise<void> {
    return this.#reader.cancel();
  }
}

function spawn(
  role: string[],
  engine: EngineName,
  cpu: string | undefined,
): { child: Deno.ChildProcess; lines: Lines } {
  const deno = ["run", "-A", "--config", CONFIG, SELF, ...role];
  const child = new Deno.Command(
    cpu === undefined ? Deno.execPath() : "taskset",
    {
      args: cpu === undefined ? deno : ["-c", cpu, Deno.execPath(), ...deno],
      env: { ZMP_ENGINE: engine },
      stdin: "null",
      stdout: "piped",
      stderr: "inherit",
    },
  ).spawn();
  return { child, lines: new Lines(child.stdout) };
}

function percentiles(times: number[]): { p50: number; p99: number } {
  const s = [...times].sort((a, b) => a - b);
  const at = (p: number) =>
    s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)];
  return { p50: at(0.5), p99: at(0.99) };
}

interface Run {
  engine: EngineName;
  attackerEngine: EngineName;
  mode: Mode;
  rate: number;
  seconds: number;
  pin: "none" | "split" | "shared";
}

async function run(o: Run): Promise<string> {
  const pin = o.pin === "none" ? undefined : o.pin;
  const server = spawn(["server", o.mode], o.engine, pin && "0");
  let attacker: ReturnType<typeof spawn> | undefined;
  try {
    const info = JSON.parse(await server.lines.next());
    await using context = new Context({ engine: o.engine });
    await using good = new Dealer({
      context,
      ...(o.mode === "plain" ? {} : {
        curvePublicKey: info.good.publicKey,
        curveSecretKey: info.good.secretKey,
        curveServerKey: info.serverKey,
      }),
    });
    good.connect(info.endpoint);
    const trips = async (n: number, until = Infinity) => {
      const times: number[] = [];
      for (let i = 0; i < n && performance.now() < until; i++) {
        const t = performance.now();
        await good.send(["x"]);
        await good.receive();
        times.push(performance.now() - t);
      }
      return times;
    };
    await trips(200);
    const before = percentiles(await trips(300));
    attacker = spawn(
      [
        "attacker",
        o.mode === "plain" ? "plain" : "curve",
        info.endpoint,
        info.serverKey,
        String(o.seconds),
        String(o.rate),
      ],
      o.attackerEngine,
      pin && (o.pin === "shared" ? "0" : "1"),
    );
    await attacker.lines.next(); // ready
    const cpu0 = await threadCpu(info.pid);
    const t0 = performance.now();
    const loud = await trips(1_000_000, t0 + o.seconds * 1000 - 200);
    const { count } = JSON.parse(await attacker.lines.next());
    const elapsed = performance.now() - t0;
    const cpu1 = await threadCpu(info.pid);
    const after = percentiles(await trips(300));
    const quiet = Math.max(before.p50, after.p50);
    const under = percentiles(loud);
    const rate = count / o.seconds;
    const threads = [...cpu1]
      .map(([name, ms]) => [name, ms - (cpu0.get(name) ?? 0)] as const)
      .filter(([, ms]) => ms > 0)
      .map(([name, ms]) =>
        `${name} ${(ms / elapsed * 100).toFixed(0)}% (${
          (ms / (rate * elapsed / 1000) * 1000).toFixed(0)
        } µs/handshake)`
      );
    return `${o.engine} ${o.mode} server, ${o.attackerEngine} attacker, pin ${o.pin}: ` +
      `quiet p50 ${quiet.toFixed(2)} ms; under attack p50 ${
        under.p50.toFixed(2)
      } ms, p99 ${under.p99.toFixed(2)} ms (${loud.length} calls), p50 ×${
        (under.p50 / quiet).toFixed(2)
      }; ${rate.toFixed(0)} handshakes/s; server threads: ${
        threads.join(", ")
      }`;
  } finally {
    for (const p of [attacker, server]) {
      if (p === undefined) continue;
      try {
        p.child.kill("SIGKILL");
      } catch {
        // ended
      }
      await p.child.status;
      await p.lines.cancel().catch(() => {});
    }
  }
}

if (import.meta.main) {
  const [role, ...rest] = Deno.args;
  if (role === "server") {
    await server(rest[0] as Mode);
  } else if (role === "attacker") {
    await attacker(
      rest[0] as "plain" | "curve",
      rest[1],
      rest[2],
      Number(rest[3]),
      Number(rest[4]),
    );
    Deno.exit(0);
  } else {
    const { values } = parseArgs({
      args: Deno.args,
      options: {
        engine: { type: "string", default: "libzmq" },
        "attacker-engine": { type: "string" },
        server: { type: "string", default: "deny,curve,plain" },
        rate: { type: "string", default: "0" },
        seconds: { type: "string", default: "3" },
        pin: { type: "string", default: "none" },
        runs: { type: "string", default: "1" },
        help: { type: "boolean", short: "h" },
      },
    });
    if (values.help) {
      console.log(USAGE);
      Deno.exit(0);
    }
    const engine = values.engine as EngineName;
    for (let i = 0; i < Number(values.runs); i++) {
      for (const mode of values.server.split(",") as Mode[]) {
        console.log(
          await run({
            engine,
            attackerEngine: (values["attacker-engine"] ?? engine) as EngineName,
            mode,
            rate: Number(values.rate),
            seconds: Number(values.seconds),
            pin: values.pin as Run["pin"],
          }),
        );
      }
    }
  }
}
