/**
 * Real ROS 1 for the bridge tests: a rosmaster on a free port (read back
 * from its log, as `rosmaster -p 0` picks it), and rospy peers
 * (`fixtures/ros_peer.py`), each a subprocess whose lines the test reads.
 * Every process is killed (SIGTERM, then SIGKILL) on dispose.
 *
 * @module
 */

import { waitFor } from "../_assert.ts";
import { forEachLine } from "../_lines.ts";

/** The Python that has rospy: Debian's, not a pyenv shim. */
export const ROS_PYTHON = "/usr/bin/python3";

const PEER = new URL("./fixtures/ros_peer.py", import.meta.url).pathname;

/** Fails the test with how to install ROS when it is missing. */
export async function requireRos(): Promise<void> {
  const missing: string[] = [];
  try {
    const { success } = await new Deno.Command(ROS_PYTHON, {
      args: ["-c", "import rospy, std_msgs.msg, std_srvs.srv"],
      stdout: "null",
      stderr: "null",
    }).output();
    if (!success) missing.push("rospy, std_msgs, std_srvs");
  } catch {
    missing.push("python3");
  }
  for (const bin of ["rosmaster", "rostopic"]) {
    try {
      await new Deno.Command(bin, {
        args: ["-h"],
        stdout: "null",
        stderr: "null",
      })
        .output();
    } catch {
      missing.push(bin);
    }
  }
  if (missing.length > 0) {
    throw new Error(
      `ROS 1 is missing (${
        missing.join(", ")
      }): run .ci/run, or apt-get install python3-rospy python3-rosmaster python3-std-msgs python3-rostopic python3-rosservice python3-rosparam python3-std-srvs ros-std-msgs ros-std-srvs`,
    );
  }
}

/** A subprocess whose output lines the test waits on. */
export class Proc implements AsyncDisposable {
  readonly child: Deno.ChildProcess;
  readonly lines: string[] = [];
  readonly #pumps: Promise<void>;
  readonly #what: string;

  /**
   * @param what names it in failures
   * @param command the program
   * @param options its arguments, environment and working directory
   */
  constructor(
    what: string,
    command: string,
    options: { args: string[]; env?: Record<string, string>; cwd?: string },
  ) {
    this.#what = what;
    this.child = new Deno.Command(command, {
      args: options.args,
      env: { NO_COLOR: "1", PYTHONUNBUFFERED: "1", ...options.env },
      cwd: options.cwd,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#pumps = Promise.all([
      this.#pump(this.child.stdout),
      this.#pump(this.child.stderr),
    ]).then(() => {});
  }

  #pump(stream: ReadableStream<Uint8Array>): Promise<void> {
    return forEachLine(stream, (line) => this.lines.push(line));
  }

  /** Everything printed so far. */
  get text(): string {
    return this.lines.join("\n");
  }

  /** Waits for a line matching `re`; returns the match. */
  async line(re: RegExp, timeout = 20000): Promise<RegExpExecArray> {
    let m: RegExpExecArray | null = null;
    await waitFor(
      () => this.lines.some((l) => (m = re.exec(l)) !== null),
      `${this.#what} to print a line matching ${re}; it printed:\n${this.text}`,
      { timeout },
    );
    return m!;
  }

  /** Waits for the process to end; returns its exit code. */
  async exited(timeout = 30000): Promise<number> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<"late">((resolve) => {
      timer = setTimeout(() => resolve("late"), timeout);
    });
    const status = await Promise.race([this.child.status, late]);
    clearTimeout(timer);
    if (status === "late") {
      throw new Error(
        `${this.#what} did not exit within ${timeout} ms:\n${this.text}`,
      );
    }
    await this.#pumps;
    return status.code;
  }

  /** SIGTERM, then SIGKILL after 3 s; waits for the end. */
  async stop(): Promise<void> {
    const kill = (signal: Deno.Signal) => {
      try {
        this.child.kill(signal);
      } catch {
        // already gone
      }
    };
    kill("SIGTERM");
    const timer = setTimeout(() => kill("SIGKILL"), 3000);
    await this.child.status;
    clearTimeout(timer);
    await this.#pumps;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }
}

/** A rosmaster on a free port, in a scratch ROS_HOME. */
export class RosMaster implements AsyncDisposable {
  readonly dir: string;
  port = 0;
  #proc: Proc | undefined;

  private constructor(dir: string) {
    this.dir = dir;
  }

  /** Starts one; resolves once it listens. */
  static async start(): Promise<RosMaster> {
    await requireRos();
    const master = new RosMaster(
      await Deno.makeTempDir({ prefix: "zmp-ros-" }),
    );
    await master.#run(0);
    return master;
  }

  /** `http://127.0.0.1:<port>/`. */
  get uri(): string {
    return `http://127.0.0.1:${this.port}/`;
  }

  /** What ROS processes need: the master, our address, scratch folders. */
  get env(): Record<string, string> {
    return {
      ROS_MASTER_URI: this.uri,
      ROS_IP: "127.0.0.1",
      ROS_HOME: `${this.dir}/home`,
      ROS_LOG_DIR: `${this.dir}/log`,
    };
  }

  async #run(port: number): Promise<void> {
    const log = `${this.dir}/log/master.log`;
    await Deno.remove(log).catch(() => {});
    this.#proc = new Proc("rosmaster", "rosmaster", {
      args: ["--core", "-p", String(port)],
      env: {
        ROS_HOME: `${this.dir}/home`,
        ROS_LOG_DIR: `${this.dir}/log`,
        ROS_IP: "127.0.0.1",
      },
    });
    let found = 0;
    await waitFor(
      async () => {
        const text = await Deno.readTextFile(log).catch(() => "");
        const m =
          /Master initialized: port\[\d+\], uri\[http:\/\/[^:]+:(\d+)\/\]/
            .exec(text);
        if (m) found = Number(m[1]);
        return found > 0;
      },
      `rosmaster to start; it printed:\n${this.#proc.text}`,
      { timeout: 20000 },
    );
    this.port = found;
  }

  /** Kills the master and starts a new one on the same port (empty). */
  async restart(): Promise<void> {
    await this.#proc?.stop();
    await this.#run(this.port);
  }

  /**
   * Starts a rospy peer (see `fixtures/ros_peer.py` for the roles).
   *
   * @param role e.g. `talker`
   * @param args its arguments
   * @returns the running peer
   */
  peer(role: string, ...args: string[]): Proc {
    return new Proc(`rospy ${role}`, ROS_PYTHON, {
      args: [PEER, role, ...args],
      env: this.env,
    });
  }

  /**
   * Runs a rospy peer to its end.
   *
   * @returns what it printed
   */
  async run(role: string, ...args: string[]): Promise<string> {
    await using p = this.peer(role, ...args);
    const code = await p.exited();
    if (code !== 0) throw new Error(`rospy ${role} exited ${code}:\n${p.text}`);
    return p.text;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.#proc?.stop();
    await Deno.remove(this.dir, { recursive: true }).catch(() => {});
  }
}
