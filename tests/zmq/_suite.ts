/**
 * The transport suite, run against every engine (the Hono habit: one
 * suite, engines beside it). A run names the engine of the sockets that
 * bind (`server`) and of those that connect (`client`): each engine alone,
 * and each against the other in both directions. Cross-engine runs cover
 * the cases that cross a wire (tcp and ipc); inproc lives inside one
 * engine.
 *
 * @module
 */

import { assertEquals } from "../_assert.ts";
import { Context, type EngineName } from "../../src/zmq/mod.ts";
import { type Transport, TRANSPORTS } from "./_helpers.ts";

/** One way of running the suite. */
export interface EngineRun {
  /** e.g. `zmtp` or `libzmq→zmtp`. */
  readonly name: string;
  /** The engine of binding sockets. */
  readonly serverEngine: EngineName;
  /** The engine of connecting sockets. */
  readonly clientEngine: EngineName;
  /** Whether both sides use the same engine (inproc and local cases run). */
  readonly single: boolean;
  /** Socket options that put a socket in the server's context. */
  readonly S: { context: Context };
  /** Socket options that put a socket in the client's context. */
  readonly C: { context: Context };
  /** The transports the transport cases loop over. */
  readonly transports: readonly Transport[];
  /** Environment for a fixture subprocess playing the server. */
  readonly serverEnv: Record<string, string>;
  /** A test name with the run appended, e.g. `… [zmtp]`. */
  title(name: string): string;
}

/**
 * A run with its two contexts, made when first asked for.
 *
 * @param server the engine of binding sockets
 * @param client the engine of connecting sockets
 */
export function engineRun(server: EngineName, client: EngineName): EngineRun {
  const single = server === client;
  const name = single ? server : `${server}→${client}`;
  let serverContext: Context | undefined;
  let clientContext: Context | undefined;
  const sctx = () => serverContext ??= new Context({ engine: server });
  const cctx = () =>
    single ? sctx() : clientContext ??= new Context({ engine: client });
  return {
    name,
    serverEngine: server,
    clientEngine: client,
    single,
    S: {
      get context() {
        return sctx();
      },
    },
    C: {
      get context() {
        return cctx();
      },
    },
    transports: single ? TRANSPORTS : TRANSPORTS.filter((t) => t !== "inproc"),
    serverEnv: { ZMP_ENGINE: server },
    title: (test) => `${test} [${name}]`,
  };
}

/**
 * Registers a last test that fails if a socket of the run's contexts is
 * still open: Deno's sanitizers do not see libzmq sockets.
 */
export function testNoSocketLeft(run: EngineRun, file: string): void {
  Deno.test(run.title(`${file} leaves no socket open`), () => {
    assertEquals(run.S.context.sockets, 0, "server sockets still open");
    assertEquals(run.C.context.sockets, 0, "client sockets still open");
  });
}
