/**
 * `zmp gateway`: serves the running system over HTTP/JSON, with its
 * OpenAPI document and the live page, until Ctrl-C.
 *
 * @module
 */

import { createGateway } from "../bridge/gateway/mod.ts";
import { readEnv } from "../_util/env.ts";
import { checkName } from "../wire/names.ts";
import {
  CliError,
  cliKeys,
  count,
  interruptSignal,
  millis,
  openRegistry,
  parse,
  REGISTRY_HELP,
  REGISTRY_OPTIONS,
  runCommand,
  toolNodeSecurity,
  UsageError,
} from "./_common.ts";

/** The help text of `zmp gateway`. */
export const USAGE = `Usage: zmp gateway [options]

Serves the running system over HTTP until Ctrl-C: calls, streams, topics and
params as JSON, the OpenAPI document of what is live, and a live page.

  POST /rpc/<Service>/<method>   a call; the body is a JSON array of arguments
                                 or an object keyed by parameter names;
                                 Accept: text/event-stream for stream methods
  GET  /topics/<name>            a topic's messages, as Server-Sent Events
  GET  /params                   every param; GET|PUT|DELETE /params/<key>
  GET  /openapi.json             the OpenAPI 3.1 document of the live system
  GET  /                         the live page

Headers: X-Zmp-Timeout (ms) sets a call's deadline; traceparent is passed on.

Options:
  --port <n>             the TCP port, 0 for a free one (default: 8080)
  --host <address>       the address to listen on (default: 127.0.0.1; any
                         other exposes the system: there is no authentication)
  --cors <origin>        let pages from this origin call (repeatable; * for any)
  --allow-host <name>    answer to this Host name too (repeatable)
  --max-body <bytes>     largest request body (default: 1048576)
  --max-elements <n>     the most values a service's reply may hold; larger
                         ones are refused unread with 502 (default: 32768)
  --call-timeout <ms>    deadline of calls without X-Zmp-Timeout (default: 30000)
  --name <node>          the gateway's node name (default: _zmp_gateway_<pid>;
                         required in secure mode, which uses its key)
${REGISTRY_HELP}
  -h, --help             show this help

Exit codes: 0 after Ctrl-C, 1 when the registry is down or the port is
taken, 2 bad usage.

Examples:
  zmp gateway --port 8080
  zmp gateway --keys .zmp/keys --name gateway   (secure mode: "gateway" is in
                         the launch's security.allow, with a policy)
  curl -s --json '[2, 3]' http://127.0.0.1:8080/rpc/Calculator/add
  curl -sN http://127.0.0.1:8080/topics/sensors/filtered`;

/**
 * Runs `zmp gateway` with the arguments after `gateway`.
 *
 * @param args the command-line arguments
 * @returns the exit code
 */
export function main(args: string[]): Promise<number> {
  return runCommand({ name: "gateway", usage: USAGE }, args, async () => {
    const { values, positionals } = parse(args, {
      ...REGISTRY_OPTIONS,
      port: { type: "string" },
      host: { type: "string" },
      cors: { type: "string", multiple: true },
      "allow-host": { type: "string", multiple: true },
      "max-body": { type: "string" },
      "max-elements": { type: "string" },
      "call-timeout": { type: "string" },
      name: { type: "string" },
    });
    if (positionals.length > 0) {
      throw new UsageError(
        `unexpected argument ${JSON.stringify(positionals[0])}`,
      );
    }
    const port = values.port === undefined ? 8080 : Number(values.port);
    if (!/^\d+$/.test(values.port ?? "0") || port > 65535) {
      throw new UsageError(
        `--port must be a whole number from 0 to 65535, got ${
          JSON.stringify(values.port)
        }`,
      );
    }
    const maxBodyBytes = count("max-body", values["max-body"]);
    const maxElements = count("max-elements", values["max-elements"]);
    const callTimeout = millis("call-timeout", values["call-timeout"], 30000);
    // Secure mode: the gateway is a node of its own, with its own key and
    // the policy the launch gives it; never the operator's @cli key, which
    // anyone reaching the HTTP port would then hold.
    const secure = values.keys !== undefined ||
      readEnv("ZMP_KEYS") !== undefined;
    if (secure && values.name === undefined) {
      throw new UsageError(
        "in secure mode (--keys or ZMP_KEYS) the gateway needs a node name of its own: --name <node>, named in the launch's security.allow",
      );
    }
    // The rule of wire/names.ts, before any key file or network.
    if (values.name !== undefined) {
      checkName("node", values.name, { field: "--name" });
    }
    const keys = secure ? await cliKeys(values, values.name) : undefined;
    const interrupt = interruptSignal();
    try {
      await using registry = await openRegistry(values, {
        keyName: values.name,
      });
      let gateway;
      try {
        gateway = await createGateway({
          registry,
          port,
          hostname: values.host,
          cors: values.cors,
          allowedHosts: values["allow-host"],
          maxBodyBytes,
          maxElements,
          callTimeout,
          name: values.name,
          signal: interrupt.signal,
          ...(keys === undefined ? {} : { security: toolNodeSecurity(keys) }),
          logger: {
            debug() {},
            info() {},
            warn: (m) => console.error(`zmp gateway: warning: ${m}`),
            error: (m) => console.error(`zmp gateway: error: ${m}`),
          },
        });
      } catch (e) {
        if (
          e instanceof Deno.errors.AddrInUse ||
          e instanceof Deno.errors.AddrNotAvailable ||
          e instanceof Deno.errors.PermissionDenied
        ) {
          throw new CliError((e as Error).message, { cause: e });
        }
        throw e;
      }
      console.log(
        `zmp gateway: serving ${gateway.url} (registry ${registry.endpoint}; Ctrl-C to stop)`,
      );
      await gateway.finished;
      return 0;
    } finally {
      interrupt.dispose();
    }
  });
}
