/**
 * How zmp names look to rosbridge clients, and back. These rules are
 * fixed, so that a web app can be written against them:
 *
 * - a zmp topic `sensors/raw` is the ROS topic `/sensors/raw`;
 * - the method `add` of the zmp service `Calculator` is the ROS service
 *   `/Calculator/add` (a `.` in a service name is a `/`:
 *   `calc.Calculator.add` is `/calc/Calculator/add`); its request has one
 *   field per parameter, by name, and its response one field, `result`;
 * - the zmp param `greeter.shout` is the ROS param `/greeter/shout`;
 * - a zmp type `Greeting` is the ROS type `zmp/Greeting`; a method's
 *   request and response are `zmp/Calculator_add` (a service type), with
 *   messages `zmp/Calculator_addRequest` and `zmp/Calculator_addResponse`.
 *
 * Names are accepted with and without their leading slash.
 *
 * @module
 */

/** The ROS package of every type the bridge derives. */
export const ZMP_PACKAGE = "zmp";

/** `sensors/raw` or `/sensors/raw` → `sensors/raw`. */
export function zmpTopicName(rosName: string): string {
  return rosName.replace(/^\/+/, "");
}

/** `sensors/raw` → `/sensors/raw`. */
export function rosTopicName(zmpName: string): string {
  return `/${zmpName}`;
}

/** `Calculator`, `add` → `/Calculator/add`. */
export function rosServiceName(service: string, method: string): string {
  return `/${service.replaceAll(".", "/")}/${method}`;
}

/**
 * Finds which zmp service and method a ROS service name means.
 *
 * @param rosName e.g. `/Calculator/add` or `Calculator/add`
 * @param services the zmp service names that exist
 * @returns the service and method, or `undefined`
 */
export function zmpMethod(
  rosName: string,
  services: Iterable<string>,
): { service: string; method: string } | undefined {
  const path = rosName.replace(/^\/+/, "");
  const slash = path.lastIndexOf("/");
  if (slash <= 0 || slash === path.length - 1) return undefined;
  const prefix = path.slice(0, slash);
  const method = path.slice(slash + 1);
  for (const service of services) {
    if (service.replaceAll(".", "/") === prefix) return { service, method };
  }
  return undefined;
}

/**
 * The zmp service and method a ROS service name means when no live
 * service has it yet (for `advertise_service`): the last segment is the
 * method, the rest (with `/` as `.`) the service.
 *
 * @param rosName e.g. `/Browser/sum`
 * @returns the service and method, or `undefined` for a name with fewer
 *   than two segments
 */
export function splitServiceName(
  rosName: string,
): { service: string; method: string } | undefined {
  const path = rosName.replace(/^\/+/, "");
  const slash = path.lastIndexOf("/");
  if (slash <= 0 || slash === path.length - 1) return undefined;
  return {
    service: path.slice(0, slash).replaceAll("/", "."),
    method: path.slice(slash + 1),
  };
}

/** `greeter.shout` → `/greeter/shout`. */
export function rosParamName(key: string): string {
  return `/${key.replaceAll(".", "/")}`;
}

/** `/greeter/shout` or `greeter/shout` → `greeter.shout`. */
export function zmpParamKey(rosName: string): string {
  return rosName.replace(/^\/+/, "").replace(/\/+$/, "").replaceAll("/", ".");
}

/** A zmp type name (or `$defs` name) → `zmp/Name`. */
export function rosTypeName(zmpType: string): string {
  return `${ZMP_PACKAGE}/${zmpType.replace(/[^A-Za-z0-9_]/g, "_")}`;
}

/** `Calculator`, `add` → `zmp/Calculator_add`. */
export function rosServiceType(service: string, method: string): string {
  return rosTypeName(`${service}_${method}`);
}
