/**
 * An agent node inside a host (`fixtures/agent.ts`), driven over its
 * stdin: the tests' and benchmarks' hands and eyes on that host.
 *
 * @module
 */

import { waitFor } from "../_assert.ts";
import type { HostProcess, Hosts } from "./_netns.ts";

const AGENT = new URL("./fixtures/agent.ts", import.meta.url).pathname;

/** An agent node inside a host (`fixtures/agent.ts`). */
export class Agent {
  readonly #p: HostProcess;
  #id = 0;

  constructor(hosts: Hosts, i: number, registry: string, name: string) {
    this.#p = hosts.spawn(i, Deno.execPath(), [
      "run",
      "-A",
      AGENT,
      "--registry",
      registry,
      "--name",
      name,
    ], { stdin: true, env: { ZMP_HOST: `h${i + 1}`, NO_COLOR: "1" } });
  }

  async ready(): Promise<void> {
    await waitFor(
      () => this.#p.lines.some((l) => l.startsWith('{"ready"')),
      `the agent to start; output: ${this.#p.lines.join("\n")}`,
      { timeout: 30000 },
    );
  }

  async request(
    op: string,
    fields: Record<string, unknown> = {},
    timeout = 60000,
    // deno-lint-ignore no-explicit-any
  ): Promise<any> {
    const id = ++this.#id;
    const writer = this.#p.child.stdin.getWriter();
    await writer.write(
      new TextEncoder().encode(JSON.stringify({ id, op, ...fields }) + "\n"),
    );
    writer.releaseLock();
    let reply: { ok?: unknown; error?: string } | undefined;
    await waitFor(
      () => {
        for (const l of this.#p.lines) {
          if (!l.startsWith(`{"id":${id},`)) continue;
          reply = JSON.parse(l);
          return true;
        }
        return false;
      },
      `the agent's answer to ${op}`,
      { timeout },
    );
    if (reply!.error !== undefined) {
      throw new Error(`${op} failed in the agent: ${reply!.error}`);
    }
    return reply!.ok;
  }

  async stop(): Promise<void> {
    try {
      this.#p.child.kill("SIGTERM");
    } catch {
      // gone
    }
    await this.#p.child.stdin.close().catch(() => {});
    await this.#p.child.status;
  }
}
