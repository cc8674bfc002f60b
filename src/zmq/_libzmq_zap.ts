/**
 * ZAP (ZeroMQ RFC 27) for the libzmq engine: the same authentication hook
 * as the zmtp engine's, through libzmq's own channel.
 *
 * libzmq asks `inproc://zeromq.zap.01` in the socket's context about every
 * CURVE client once its INITIATE checks out, and waits for the answer
 * before READY. So each context that has a CURVE server gets one handler: a
 * ROUTER bound there (a ROUTER rather than RFC 27's REP, so that an async
 * hook can answer requests out of order). Each CURVE server socket gets its
 * own ZAP domain (`zmp-<n>`), by which a request finds the socket's hook.
 *
 * Every accepted client's key goes back as the ZAP `User-Id`: libzmq then
 * attaches it to each message from that client (`zmq_msg_gets(msg,
 * "User-Id")`), which is how `peerPublicKey()` reads it.
 *
 * The handler lives while a CURVE server socket of the context is open: its
 * pending receive keeps the process alive meanwhile, as a ZAP thread would.
 *
 * @module
 */

import { type CoreOwner, SocketCore } from "./_core.ts";
import type { CurveAuthenticator } from "./curve.ts";
import { curveKeyText } from "./curve.ts";

/** Where libzmq looks for the handler (RFC 27). */
export const ZAP_ENDPOINT = "inproc://zeromq.zap.01";
/** `ZMQ_ZAP_DOMAIN`. */
export const ZMQ_ZAP_DOMAIN = 55;

const ROUTER = 6;
const decoder = new TextDecoder("latin1");

/** A socket the handler answers for. */
export interface ZapClient {
  /** Its current hook, if any. */
  readonly authenticator: CurveAuthenticator | undefined;
}

/** One context's ZAP handler. */
export class ZapHandler {
  readonly #owner: CoreOwner;
  #socket: SocketCore | null = null;
  #domains = new Map<string, ZapClient>();
  #next = 0;

  /** @param owner the context whose CURVE servers it answers for */
  constructor(owner: CoreOwner) {
    this.#owner = owner;
  }

  /**
   * Starts answering for `client`, binding the handler if it is the first.
   *
   * @returns the ZAP domain to give the client's socket
   * @throws {ZmqError} `EADDRINUSE` when something else bound the ZAP
   *   endpoint in this context
   */
  register(client: ZapClient): string {
    if (this.#socket === null) {
      const socket = new SocketCore(this.#owner, ROUTER);
      try {
        socket.bind(ZAP_ENDPOINT);
      } catch (e) {
        socket.close();
        throw e;
      }
      this.#socket = socket;
      this.#serve(socket);
    }
    const domain = `zmp-${++this.#next}`;
    this.#domains.set(domain, client);
    return domain;
  }

  /** Stops answering for a domain; the last one closes the handler. */
  unregister(domain: string): void {
    if (!this.#domains.delete(domain) || this.#domains.size > 0) return;
    const socket = this.#socket;
    this.#socket = null;
    if (socket === null || socket.closed) return;
    // Unbinding an inproc endpoint is immediate, closing is not: without
    // it, the next CURVE server would find the endpoint still taken.
    try {
      socket.unbind(ZAP_ENDPOINT);
    } catch {
      // the context is closing
    }
    socket.close();
  }

  async #serve(socket: SocketCore): Promise<void> {
    for (;;) {
      let frames: Uint8Array[];
      try {
        frames = await socket.receive();
      } catch {
        return; // closed
      }
      this.#answer(socket, frames);
    }
  }

  /**
   * Answers one request: `[peer, "", "1.0", id, domain, address, identity,
   * mechanism, credentials...]`.
   */
  async #answer(socket: SocketCore, frames: Uint8Array[]): Promise<void> {
    const [peer, , version, requestId, domain, address, , mechanism, key] =
      frames;
    if (requestId === undefined) return; // not a ZAP request
    let status = "200";
    let text = "OK";
    let userId = "";
    if (decoder.decode(version) !== "1.0") {
      status = "500";
      text = "Unsupported ZAP version";
    } else if (
      decoder.decode(mechanism ?? new Uint8Array()) === "CURVE" &&
      key?.byteLength === 32
    ) {
      userId = curveKeyText(key);
      const hook = this.#domains.get(decoder.decode(domain))?.authenticator;
      let ok = true;
      if (hook !== undefined) {
        try {
          ok = (await hook({
            publicKey: userId,
            address: decoder.decode(address ?? new Uint8Array()),
          })) === true;
        } catch {
          ok = false;
        }
      }
      if (!ok) {
        status = "400";
        text = "Refused";
        userId = "";
      }
    }
    if (socket.closed) return;
    try {
      await socket.send([peer, "", "1.0", requestId, status, text, userId, ""]);
    } catch {
      // the handler closed meanwhile: libzmq drops the handshake
    }
  }
}
