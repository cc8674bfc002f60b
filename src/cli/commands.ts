/**
 * The table of `zmp` subcommands. Each lives in its own file under
 * `src/cli/`, exporting `main(args): Promise<number>` (which handles its own
 * `--help`, and reports a bad argument in one line on stderr with exit code
 * 2), and is loaded only when it runs: `zmp registry` does not load the
 * launcher. Adding a subcommand is a file and a line here.
 *
 * @module
 */

/** What a subcommand's file exports. */
export interface CommandModule {
  /** Runs the subcommand with the arguments after its name; returns the exit code. */
  main(args: string[]): Promise<number>;
}

/** A subcommand: its name, summary, and how to load it. */
export interface CommandEntry {
  /** Its name on the command line. */
  readonly name: string;
  /** One line for `zmp --help`. */
  readonly summary: string;
  /** Loads its module. */
  load(): Promise<CommandModule>;
}

/** Every subcommand, in the order `zmp --help` lists them. */
export const COMMANDS: readonly CommandEntry[] = [
  {
    name: "init",
    summary: "create a project that uses zmp, ready to run",
    load: () => import("./init.ts"),
  },
  {
    name: "codegen",
    summary: "generate typed code from *.api.ts definition files",
    load: () => import("./codegen.ts"),
  },
  {
    name: "launch",
    summary: "start the registry and the nodes of a launch file",
    load: () => import("./launch.ts"),
  },
  {
    name: "registry",
    summary: "run a registry (discovery, liveness, params) until Ctrl-C",
    load: () => import("./registry.ts"),
  },
  {
    name: "list",
    summary: "list the live nodes, services, topics or params",
    load: () => import("./list.ts"),
  },
  {
    name: "call",
    summary: "call a service method with JSON arguments",
    load: () => import("./call.ts"),
  },
  {
    name: "echo",
    summary: "print the messages of a topic",
    load: () => import("./echo.ts"),
  },
  {
    name: "pub",
    summary: "publish a JSON message on a topic, once or at a rate",
    load: () => import("./pub.ts"),
  },
  {
    name: "param",
    summary: "get, set, delete or list params",
    load: () => import("./param.ts"),
  },
  {
    name: "graph",
    summary: "draw the running system (DOT, or SVG with --svg)",
    load: () => import("./graph.ts"),
  },
  {
    name: "top",
    summary: "show the running system live: rates, latency, errors, drops",
    load: () => import("./top.ts"),
  },
  {
    name: "record",
    summary: "record topics and calls into an MCAP file",
    load: () => import("./record.ts"),
  },
  {
    name: "play",
    summary: "replay an MCAP recording: republish topics, or --serve its calls",
    load: () => import("./play.ts"),
  },
  {
    name: "gateway",
    summary: "serve the system over HTTP/JSON, with OpenAPI and a live page",
    load: () => import("./gateway.ts"),
  },
  {
    name: "bridge",
    summary: "run a bridge to ROS: a ROS 1 bridge file, or a rosbridge server",
    load: () => import("./bridge.ts"),
  },
  {
    name: "ros",
    summary: "turn ROS 1 message and service types into a zmp .api.ts",
    load: () => import("./ros.ts"),
  },
  {
    name: "doctor",
    summary: "show the libzmq, Deno and registry this zmp uses",
    load: () => import("./doctor.ts"),
  },
  {
    name: "keys",
    summary:
      "make, list, show, export and import the CURVE keys of secure mode",
    load: () => import("./keys.ts"),
  },
];
