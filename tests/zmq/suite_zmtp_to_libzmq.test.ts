/** The transport suite: binding sockets on zmtp, connecting sockets on libzmq. */

import { registerSuite } from "./_register.ts";

registerSuite("zmtp", "libzmq");
