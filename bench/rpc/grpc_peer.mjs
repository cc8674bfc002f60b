// @ts-check
/**
 * The gRPC baseline of `deno task bench:rpc`: Node.js with `@grpc/grpc-js`
 * (installed into `bench/.work/` by the driver), each peer its own Node
 * process:
 *
 *     node grpc_peer.mjs server HOST
 *     node grpc_peer.mjs client TARGET PLAN
 *
 * One unary method, `/zmp.bench.Bench/Echo`, defined with grpc-js's generic
 * service definition and JSON (de)serialisers, so no protobuf compiler is
 * needed and the bytes are the same JSON as the HTTP baseline's. The client
 * uses one channel (one HTTP/2 connection) for every call in flight, as a
 * gRPC application would.
 *
 * @module
 */

import { createRequire } from "node:module";
import { measure, parsePlan } from "./_measure.mjs";
import { reply, SAMPLE } from "./_sample.mjs";

const require = createRequire(
  new URL("../.work/package.json", import.meta.url),
);
/** @type {any} */
const grpc = require("@grpc/grpc-js");

/** @param {unknown} value */
const serialize = (value) => Buffer.from(JSON.stringify(value));
/** @param {Buffer} bytes */
const deserialize = (bytes) => JSON.parse(bytes.toString("utf8"));

const definition = {
  echo: {
    path: "/zmp.bench.Bench/Echo",
    requestStream: false,
    responseStream: false,
    requestSerialize: serialize,
    requestDeserialize: deserialize,
    responseSerialize: serialize,
    responseDeserialize: deserialize,
    originalName: "echo",
  },
};

function exitWhenStdinCloses() {
  process.stdin.on("end", () => process.exit(0));
  process.stdin.on("error", () => process.exit(0));
  process.stdin.resume();
}

/** @param {string} host */
function serve(host) {
  const server = new grpc.Server();
  server.addService(definition, {
    /**
     * @param {{ request: any }} call
     * @param {(e: Error | null, v?: unknown) => void} done
     */
    echo: (call, done) => done(null, reply(call.request)),
  });
  server.bindAsync(
    `${host}:0`,
    grpc.ServerCredentials.createInsecure(),
    (/** @type {Error | null} */ error, /** @type {number} */ port) => {
      if (error) {
        console.error(error.message);
        process.exit(1);
      }
      console.log(
        JSON.stringify({ endpoint: `${host}:${port}`, pid: process.pid }),
      );
    },
  );
}

/**
 * @param {string} target
 * @param {string | undefined} planArg
 */
async function client(target, planArg) {
  const Client = grpc.makeGenericClientConstructor(definition, "Bench");
  const stub = new Client(target, grpc.credentials.createInsecure());
  const call = () =>
    new Promise((resolve, reject) => {
      stub.echo(
        SAMPLE,
        (/** @type {Error | null} */ e, /** @type {unknown} */ v) =>
          e ? reject(e) : resolve(v),
      );
    });
  const result = await measure(call, parsePlan(planArg));
  stub.close();
  // A pipe is written asynchronously: exit once the line is out.
  process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0));
}

const [role, where, plan] = process.argv.slice(2);
exitWhenStdinCloses();
if (role === "server" && where !== undefined) {
  serve(where);
} else if (role === "client" && where !== undefined) {
  await client(where, plan);
} else {
  console.error(
    "usage: node grpc_peer.mjs server HOST\n" +
      "       node grpc_peer.mjs client TARGET PLAN",
  );
  process.exit(2);
}
