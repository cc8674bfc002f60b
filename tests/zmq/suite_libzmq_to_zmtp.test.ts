/** The transport suite: binding sockets on libzmq, connecting sockets on zmtp. */

import { registerSuite } from "./_register.ts";

registerSuite("libzmq", "zmtp");
