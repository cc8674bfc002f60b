/**
 * The concrete socket types.
 *
 * @module
 */

import {
  DuplexSocket,
  ReadableSocket,
  type SocketInit,
  WritableSocket,
} from "./socket.ts";

/** libzmq socket type numbers. */
export const SOCKET_TYPES = {
  PAIR: 0,
  PUB: 1,
  SUB: 2,
  REQ: 3,
  REP: 4,
  DEALER: 5,
  ROUTER: 6,
  PULL: 7,
  PUSH: 8,
  XPUB: 9,
  XSUB: 10,
} as const;

/** `ZMQ_PAIR`: one peer, both directions. */
export class Pair extends DuplexSocket {
  /** @param init context and options */
  constructor(init?: SocketInit) {
    super(SOCKET_TYPES.PAIR, init);
  }
}

/**
 * `ZMQ_DEALER`: asynchronous request side; round-robins sends over peers
 * and fair-queues receives.
 *
 * @example
 * ```ts
 * import { Dealer, Router } from "zmp/zmq";
 * await using router = new Router();
 * await using dealer = new Dealer();
 * const endpoint = router.bind("tcp://127.0.0.1:*");
 * dealer.connect(endpoint);
 * await dealer.send(["ping"]);
 * const [peer, body] = await router.receive();
 * await router.send([peer, body]);
 * const [echo] = await dealer.receive();
 * console.log(new TextDecoder().decode(echo)); // "ping"
 * ```
 */
export class Dealer extends DuplexSocket {
  /** @param init context and options */
  constructor(init?: SocketInit) {
    super(SOCKET_TYPES.DEALER, init);
  }
}

/**
 * `ZMQ_ROUTER`: asynchronous reply side; every received message starts with
 * the sender's routing id, and every sent message must start with one.
 */
export class Router extends DuplexSocket {
  /** @param init context and options */
  constructor(init?: SocketInit) {
    super(SOCKET_TYPES.ROUTER, init);
  }

  /**
   * The CURVE public key the peer behind `routingId` authenticated with,
   * when this router is a CURVE server: who sent a message just received
   * (`const [id] = await router.receive()`). On the zmtp engine it is the
   * key of the connection that holds the routing id now; on the libzmq
   * engine, the key libzmq attached (as ZAP `User-Id`) to the last message
   * received from that routing id.
   *
   * @param routingId the first frame of a received message
   * @returns the key in Z85 (40 characters), or `undefined` for an unknown
   *   routing id, a peer without CURVE, or a router that is no CURVE server
   */
  peerPublicKey(routingId: Uint8Array): string | undefined {
    return this.core.peerPublicKey(routingId);
  }

  /**
   * Waits for a full peer alone: stops reading a peer while its outbound
   * pipe is full (`sendHighWaterMark` messages wait for it) and reads it
   * again once that pipe has drained to half, so that a peer that sends
   * but does not read ends up blocked in its own sends (TCP flow control)
   * instead of costing this socket a read and a drop per message. Other
   * peers are read as before. Only on the zmtp engine, over tcp and ipc;
   * the libzmq engine has no per-peer read pause and returns `false`: it
   * reads every peer while the socket has room, and what a full peer is
   * sent waits (`routerMandatory`) or is dropped.
   *
   * While reading a peer is paused, its PINGs are not read either, so its
   * silence does not count against it (`heartbeatTimeout`,
   * `heartbeatTimeToLive`); a paused peer that dies is noticed when the
   * write waiting for it fails (its kernel resets the connection) or, for
   * a host that vanished, by TCP's own retransmission timeout.
   *
   * @param on `true` to pause full peers, `false` to read every peer again
   * @returns whether the engine pauses full peers (`false`: libzmq engine)
   *
   * @example
   * ```ts
   * import { Context, Router } from "zmp/zmq";
   * await using context = new Context({ engine: "zmtp" });
   * await using router = new Router({ context, routerMandatory: true });
   * console.log(router.pauseFullPeers(true)); // true
   * ```
   */
  pauseFullPeers(on = true): boolean {
    return this.core.pauseFullPeers(on);
  }

  /**
   * Takes no messages from one peer, and stops reading its connection, for
   * `ms` ms (zmtp engine): what it sent waits, in order, and it blocks in
   * its own sends once its buffers are full. For a server that finds a peer
   * flooding it. A new call restarts the pause; replies to the peer still
   * go out. While paused, the peer's silence does not count against it
   * (as with `pauseFullPeers`).
   *
   * @param routingId the peer, as its messages name it
   * @param ms how long, in ms
   * @returns whether the peer is paused: `false` for an unknown peer, and
   *   from the libzmq engine, which has no per-peer read pause
   * @throws {RangeError} when `ms` is not a number of ms >= 0
   *
   * @example
   * ```ts
   * import { Context, Router } from "zmp/zmq";
   * await using context = new Context({ engine: "zmtp" });
   * await using router = new Router({ context });
   * console.log(router.pausePeer(new Uint8Array([0, 1, 2, 3, 4]), 100)); // false: no such peer
   * ```
   */
  pausePeer(routingId: Uint8Array, ms: number): boolean {
    if (!(ms >= 0) || !Number.isFinite(ms)) {
      throw new RangeError(
        `Cannot pause a peer: ms must be a number >= 0, got ${ms}`,
      );
    }
    return this.core.pausePeer(routingId, ms);
  }
}

/** `ZMQ_REQ`: strict send-then-receive request side. */
export class Request extends DuplexSocket {
  /** @param init context and options */
  constructor(init?: SocketInit) {
    super(SOCKET_TYPES.REQ, init);
  }
}

/** `ZMQ_REP`: strict receive-then-send reply side. */
export class Reply extends DuplexSocket {
  /** @param init context and options */
  constructor(init?: SocketInit) {
    super(SOCKET_TYPES.REP, init);
  }
}

/** `ZMQ_PUB`: broadcasts to subscribers; drops for slow ones, never waits. */
export class Publisher extends WritableSocket {
  /** @param init context and options */
  constructor(init?: SocketInit) {
    super(SOCKET_TYPES.PUB, init);
  }
}

/** `ZMQ_SUB`: receives what publishers send under subscribed prefixes. */
export class Subscriber extends ReadableSocket {
  /** @param init context and options */
  constructor(init?: SocketInit) {
    super(SOCKET_TYPES.SUB, init);
  }

  /**
   * Subscribes to messages whose first frame starts with `prefix`.
   *
   * @param prefix the prefix; `""` (the default) receives everything
   */
  subscribe(prefix: Uint8Array | string = ""): void {
    this.core.setOption("subscribe", prefix);
  }

  /**
   * Removes a subscription made with the same prefix.
   *
   * @param prefix the prefix
   */
  unsubscribe(prefix: Uint8Array | string = ""): void {
    this.core.setOption("unsubscribe", prefix);
  }
}

/**
 * `ZMQ_XPUB`: a publisher that also receives subscriptions as messages
 * (first byte 1 = subscribe, 0 = unsubscribe, then the prefix).
 */
export class XPublisher extends DuplexSocket {
  /** @param init context and options */
  constructor(init?: SocketInit) {
    super(SOCKET_TYPES.XPUB, init);
  }
}

/**
 * `ZMQ_XSUB`: a subscriber that sends its subscriptions as messages
 * (first byte 1 = subscribe, 0 = unsubscribe, then the prefix).
 */
export class XSubscriber extends DuplexSocket {
  /** @param init context and options */
  constructor(init?: SocketInit) {
    super(SOCKET_TYPES.XSUB, init);
  }
}

/** `ZMQ_PUSH`: load-balances messages over pullers; waits when all are full. */
export class Push extends WritableSocket {
  /** @param init context and options */
  constructor(init?: SocketInit) {
    super(SOCKET_TYPES.PUSH, init);
  }
}

/** `ZMQ_PULL`: fair-queues messages from pushers. */
export class Pull extends ReadableSocket {
  /** @param init context and options */
  constructor(init?: SocketInit) {
    super(SOCKET_TYPES.PULL, init);
  }
}
