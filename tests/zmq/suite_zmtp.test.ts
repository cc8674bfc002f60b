/** The transport suite: binding sockets on zmtp, connecting sockets on zmtp. */

import { registerSuite } from "./_register.ts";

registerSuite("zmtp", "zmtp");
