/**
 * zmp: typed services, topics and params over ZeroMQ, for Deno.
 *
 * This module re-exports the user API. Nothing here loads native code at
 * import time: libzmq is opened on the first socket.
 *
 * @module
 */

export * from "./src/zmq/mod.ts";
export * from "./src/wire/mod.ts";
export * from "./src/rpc/mod.ts";
export * from "./src/topics/mod.ts";
export * from "./src/registry/mod.ts";
export * from "./src/params/mod.ts";
export * from "./src/node/mod.ts";
export * from "./src/launch/mod.ts";
export * from "./src/observe/mod.ts";
