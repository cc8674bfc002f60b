/**
 * What the pattern examples' tests share: the registry endpoint a launch
 * printed, an in-test node that talks to the launched system, and a
 * collector that keeps a subscription's messages.
 *
 * @module
 */

import { createNode, type Node, type TopicSubscription } from "../../mod.ts";
import type { Launcher } from "../launch/_harness.ts";

/**
 * The registry endpoint from the launcher's `registry listening on …` line.
 *
 * @param launcher the running launch
 * @returns e.g. `tcp://127.0.0.1:40123`
 */
export async function registryEndpoint(launcher: Launcher): Promise<string> {
  const m = await launcher.line(/registry listening on (tcp:\/\/\S+)/);
  return m[1];
}

/**
 * A node in the test process, registered with the launched registry. Its
 * debug and info lines are dropped; warnings and errors are printed.
 *
 * @param name the node's name
 * @param registry the registry endpoint
 * @returns the node; close it before the launch stops
 */
export function testNode(name: string, registry: string): Promise<Node> {
  return createNode(name, {
    registry,
    logger: {
      debug() {},
      info() {},
      warn: (m) => console.warn(`${name}: ${m}`),
      error: (m) => console.error(`${name}: ${m}`),
    },
  });
}

/** Every message of a subscription, as it arrives. */
export interface Collected<T> extends AsyncDisposable {
  readonly messages: T[];
  /** Closes the subscription and waits for the reading loop to end. */
  close(): Promise<void>;
}

/**
 * Reads `subscription` in the background into `messages`.
 *
 * @param subscription a subscription; closed by `close()`
 * @returns the collector
 */
export function collect<T>(subscription: TopicSubscription<T>): Collected<T> {
  const messages: T[] = [];
  const reading = (async () => {
    for await (const m of subscription) messages.push(m);
  })();
  const close = async () => {
    await subscription.close();
    await reading;
  };
  return { messages, close, [Symbol.asyncDispose]: close };
}
