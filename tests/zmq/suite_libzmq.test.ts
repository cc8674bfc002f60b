/** The transport suite: binding sockets on libzmq, connecting sockets on libzmq. */

import { registerSuite } from "./_register.ts";

registerSuite("libzmq", "libzmq");
