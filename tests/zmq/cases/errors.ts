/**
 * Bad input fails early and clearly: the right error class, code and
 * message, never a crash or a silent success.
 */

import {
  assert,
  assertEquals,
  assertRejects,
  assertThrows,
} from "../../_assert.ts";
import {
  Context,
  Dealer,
  Pair,
  Pull,
  Push,
  Router,
  type SocketOptions,
  ZmqError,
} from "../../../src/zmq/mod.ts";

import { type EngineRun, testNoSocketLeft } from "../_suite.ts";

/** Registers the errors cases for one engine run. */
export function errorsCases(run: EngineRun): void {
  function assertZmqError(
    e: ZmqError,
    code: string,
    operation: string,
    endpoint?: string,
  ): void {
    assertEquals(e.name, "ZmqError");
    assertEquals(e.code, code);
    assertEquals(e.operation, operation);
    assertEquals(e.endpoint, endpoint);
    assert(e.errno > 0, `errno ${e.errno}`);
    const where = endpoint === undefined
      ? operation
      : `${operation} "${endpoint}"`;
    assert(
      e.message.startsWith(`${where} failed: `) &&
        e.message.endsWith(`(${code})`),
      `unexpected message: ${e.message}`,
    );
  }

  Deno.test(
    run.title(
      "Socket.bind() and connect() reject an unknown transport with EPROTONOSUPPORT",
    ),
    () => {
      using_(new Dealer(), (s) => {
        for (const op of ["bind", "connect"] as const) {
          const e = assertThrows(() => s[op]("nonsense://x"), ZmqError);
          assertZmqError(e, "EPROTONOSUPPORT", op, "nonsense://x");
        }
      });
    },
  );

  Deno.test(
    run.title(
      "Socket.bind() and connect() reject a malformed address with EINVAL",
    ),
    () => {
      using_(new Dealer(), (s) => {
        for (const op of ["bind", "connect"] as const) {
          for (
            const endpoint of ["tcp://", "tcp://127.0.0.1", "127.0.0.1:5555"]
          ) {
            const e = assertThrows(() => s[op](endpoint), ZmqError);
            assertZmqError(e, "EINVAL", op, endpoint);
          }
        }
      });
    },
  );

  Deno.test(
    run.title(
      "Socket.bind() and friends reject a non-string or empty endpoint with TypeError",
    ),
    () => {
      using_(new Dealer(), (s) => {
        const ops = ["bind", "connect", "unbind", "disconnect"] as const;
        for (const op of ops) {
          for (
            const [bad, shown] of [
              ["", '""'],
              [42, "42"],
              [undefined, "undefined"],
              [null, "null"],
            ] as const
          ) {
            assertThrows(
              () => s[op](bad as unknown as string),
              TypeError,
              `Cannot ${op}: endpoint must be a non-empty string, got ${shown}`,
            );
          }
        }
      });
    },
  );

  Deno.test(
    run.title(
      "Socket.bind() to an address in use fails with EADDRINUSE naming the endpoint",
    ),
    () => {
      const a = new Pair(run.S);
      const b = new Pair(run.C);
      try {
        const tcp = a.bind("tcp://127.0.0.1:*");
        assertZmqError(
          assertThrows(() => b.bind(tcp), ZmqError),
          "EADDRINUSE",
          "bind",
          tcp,
        );
        a.bind("inproc://taken");
        const e = assertThrows(() => b.bind("inproc://taken"), ZmqError);
        assertZmqError(e, "EADDRINUSE", "bind", "inproc://taken");
        assertEquals(
          e.message,
          'bind "inproc://taken" failed: Address already in use (EADDRINUSE)',
        );
      } finally {
        a.close();
        b.close();
      }
    },
  );

  Deno.test(
    run.title(
      "Socket.unbind() and disconnect() of an unknown endpoint fail with ENOENT",
    ),
    () => {
      using_(new Dealer(), (s) => {
        const bound = s.bind("tcp://127.0.0.1:*");
        for (const endpoint of ["tcp://127.0.0.1:1", "inproc://never"]) {
          assertZmqError(
            assertThrows(() => s.unbind(endpoint), ZmqError),
            "ENOENT",
            "unbind",
            endpoint,
          );
          assertZmqError(
            assertThrows(() => s.disconnect(endpoint), ZmqError),
            "ENOENT",
            "disconnect",
            endpoint,
          );
        }
        s.unbind(bound);
        // Once unbound, it is unknown too.
        assertZmqError(
          assertThrows(() => s.unbind(bound), ZmqError),
          "ENOENT",
          "unbind",
          bound,
        );
      });
    },
  );

  Deno.test(
    run.title(
      "Socket.setOption() rejects a value of the wrong type with TypeError",
    ),
    () => {
      using_(new Dealer(), (s) => {
        const cases: [string, unknown, string][] = [
          ["sendHighWaterMark", "10", 'expected an integer, got "10"'],
          ["sendHighWaterMark", 1.5, "expected an integer, got 1.5"],
          ["maxMessageSize", 10n, "expected an integer, got 10"],
          ["immediate", 1, "expected a boolean, got 1"],
          ["routingId", 7, "expected a string or Uint8Array, got 7"],
          [
            "curveServerKey",
            7,
            "expected a 40-character Z85 string or 32 bytes",
          ],
        ];
        for (const [name, value, message] of cases) {
          assertThrows(
            () => s.setOption(name as "linger", value as number),
            TypeError,
            `Cannot set option "${name}": ${message}`,
          );
        }
        assertThrows(
          () => s.setOption("nope" as "linger", 1),
          TypeError,
          'Cannot set option "nope": unknown option',
        );
        assertThrows(
          () => s.setOption("lastEndpoint" as "linger", 1),
          TypeError,
          'Cannot set option "lastEndpoint": the option is read-only',
        );
        assertThrows(
          () => s.getOption("nope" as "linger"),
          TypeError,
          'Cannot get option "nope": unknown option',
        );
      });
    },
  );

  Deno.test(
    run.title(
      "Socket.setOption() rejects out-of-range values with RangeError or EINVAL",
    ),
    () => {
      using_(new Dealer(), (s) => {
        for (const value of [2 ** 31, -(2 ** 31) - 1]) {
          assertThrows(
            () => s.setOption("sendHighWaterMark", value),
            RangeError,
            `Cannot set option "sendHighWaterMark": ${value} does not fit in a C int`,
          );
        }
        // In range for C, refused by libzmq.
        const e = assertThrows(
          () => s.setOption("sendHighWaterMark", -1),
          ZmqError,
        );
        assertZmqError(e, "EINVAL", 'setOption("sendHighWaterMark")');
        assertZmqError(
          assertThrows(() => s.setOption("routingId", ""), ZmqError),
          "EINVAL",
          'setOption("routingId")',
        );
        // Nothing changed.
        assertEquals(s.getOption("sendHighWaterMark"), 1000);
      });
    },
  );

  Deno.test(
    run.title(
      "Socket.setOption() rejects a CURVE key of the wrong length with RangeError",
    ),
    () => {
      using_(new Dealer(), (s) => {
        assertThrows(
          () => s.setOption("curveServerKey", "too-short"),
          RangeError,
          'Cannot set option "curveServerKey": a Z85 CURVE key has 40 characters, got 9',
        );
        assertThrows(
          () => s.setOption("curveSecretKey", new Uint8Array(31)),
          RangeError,
          'Cannot set option "curveSecretKey": a binary CURVE key has 32 bytes, got 31',
        );
        // 40 characters, but not Z85: libzmq refuses it.
        assertZmqError(
          assertThrows(
            () => s.setOption("curvePublicKey", "~".repeat(40)),
            ZmqError,
          ),
          "EINVAL",
          'setOption("curvePublicKey")',
        );
      });
    },
  );

  Deno.test(
    run.title(
      "Socket constructor with a bad option throws and leaves no socket open",
    ),
    () => {
      const before = run.S.context.sockets;
      assertThrows(
        () =>
          new Router({ routerMandatory: "yes" } as unknown as SocketOptions),
        TypeError,
        'Cannot set option "routerMandatory": expected a boolean, got "yes"',
      );
      assertThrows(
        () => new Push({ sendHighWaterMark: 2 ** 40 }),
        RangeError,
        "does not fit in a C int",
      );
      assertEquals(run.S.context.sockets, before);
    },
  );

  Deno.test(
    run.title(
      "Socket.receive() and send() reject a bad timeout with RangeError",
    ),
    async () => {
      await using pull = new Pull(run.C);
      await using push = new Push(run.S);
      for (
        const [bad, shown] of [
          [-1, "-1"],
          [NaN, "NaN"],
          [Infinity, "Infinity"],
          [2 ** 31, "2147483648"],
          [
            "5",
            '"5"',
          ],
        ] as const
      ) {
        await assertRejects(
          () => pull.receive({ timeout: bad as number }),
          RangeError,
          `Cannot receive: timeout must be a number of ms from 0 to 2147483647, got ${shown}`,
        );
        await assertRejects(
          () => push.send("x", { timeout: bad as number }),
          RangeError,
          `Cannot send: timeout must be a number of ms from 0 to 2147483647, got ${shown}`,
        );
      }
    },
  );

  Deno.test(
    run.title("Socket.send() rejects an empty message with RangeError"),
    async () => {
      await using push = new Push(run.S);
      await assertRejects(
        () => push.send([]),
        RangeError,
        "Cannot send: a message needs at least one frame",
      );
    },
  );

  Deno.test(
    run.title(
      "Socket.send() rejects a frame that is neither bytes nor text with TypeError",
    ),
    async () => {
      await using push = new Push(run.S);
      for (const bad of [undefined, 7, { length: 1 }, [1, 2]]) {
        const e = await assertRejects(
          // deno-lint-ignore no-explicit-any
          () => push.send(["ok", bad as any]),
          TypeError,
        );
        assertEquals(
          e.message,
          `Cannot send: frame 1 must be a Uint8Array or a string, got ${
            String(bad)
          }`,
        );
      }
    },
  );

  Deno.test(
    run.title("Context constructor rejects bad options with RangeError"),
    () => {
      assertThrows(
        () => new Context({ ioThreads: -1 }),
        RangeError,
        "Cannot create context: ioThreads must be an integer >= 0, got -1",
      );
      assertThrows(
        () => new Context({ maxSockets: 0.5 }),
        RangeError,
        "Cannot create context: maxSockets must be an integer >= 1, got 0.5",
      );
    },
  );

  /** Runs `fn` with a socket and always closes it (sync tests). */
  function using_<S extends { close(): void }>(s: S, fn: (s: S) => void): void {
    try {
      fn(s);
    } finally {
      s.close();
    }
  }

  testNoSocketLeft(run, "errors");
}
