/**
 * Endpoint strings (`tcp://host:port`, `ipc:///path`, `inproc://name`)
 * parsed the way libzmq reads them, with the same errno for the same
 * mistake.
 *
 * @module
 */

import { zmqError } from "../errors.ts";

/** A parsed endpoint. */
export type Address =
  | { transport: "tcp"; host: string; port: number }
  | { transport: "ipc"; path: string }
  | { transport: "inproc"; name: string };

/**
 * Parses an endpoint for `bind` (wildcards allowed) or `connect`.
 *
 * @throws {ZmqError} `EPROTONOSUPPORT` for an unknown transport, `EINVAL`
 *   for a malformed address
 */
export function parseEndpoint(
  endpoint: string,
  operation: "bind" | "connect",
): Address {
  const fail = (code: string) => zmqError(code, { operation, endpoint });
  const sep = endpoint.indexOf("://");
  if (sep < 0) throw fail("EINVAL");
  const transport = endpoint.slice(0, sep);
  const rest = endpoint.slice(sep + 3);
  switch (transport) {
    case "tcp": {
      const colon = rest.lastIndexOf(":");
      if (colon <= 0) throw fail("EINVAL");
      let host = rest.slice(0, colon);
      const portText = rest.slice(colon + 1);
      if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1);
      if (host === "" || host.includes(";")) throw fail("EINVAL");
      if (host === "*") {
        if (operation === "connect") throw fail("EINVAL");
        host = "0.0.0.0";
      }
      let port: number;
      if (portText === "*" || portText === "0") {
        if (operation === "connect") throw fail("EINVAL");
        port = 0;
      } else {
        if (!/^\d{1,5}$/.test(portText)) throw fail("EINVAL");
        port = Number(portText);
        if (port > 65535) throw fail("EINVAL");
      }
      return { transport, host, port };
    }
    case "ipc":
      if (rest === "") throw fail("EINVAL");
      if (rest.length > 107) throw fail("ENAMETOOLONG");
      return { transport, path: rest };
    case "inproc":
      if (rest === "") throw fail("EINVAL");
      return { transport, name: rest };
    default:
      throw fail("EPROTONOSUPPORT");
  }
}

/** The endpoint text of a bound tcp listener, as `ZMQ_LAST_ENDPOINT` says. */
export function tcpEndpoint(host: string, port: number): string {
  return host.includes(":")
    ? `tcp://[${host}]:${port}`
    : `tcp://${host}:${port}`;
}

/**
 * The errno name for an error thrown by `Deno.listen` or `Deno.connect`.
 *
 * @param e the error
 * @returns e.g. `EADDRINUSE`, `ECONNREFUSED`
 */
export function errnoOf(e: unknown): string {
  if (e instanceof Deno.errors.AddrInUse) return "EADDRINUSE";
  if (e instanceof Deno.errors.AddrNotAvailable) return "EADDRNOTAVAIL";
  if (e instanceof Deno.errors.ConnectionRefused) return "ECONNREFUSED";
  if (e instanceof Deno.errors.ConnectionReset) return "ECONNRESET";
  if (e instanceof Deno.errors.ConnectionAborted) return "ECONNABORTED";
  if (e instanceof Deno.errors.NotFound) return "ENOENT";
  if (e instanceof Deno.errors.PermissionDenied) return "EACCES";
  if (e instanceof Deno.errors.NotCapable) return "EACCES";
  if (e instanceof Deno.errors.TimedOut) return "ETIMEDOUT";
  return "EINVAL";
}
