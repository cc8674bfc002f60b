/**
 * Services that a web page offers to the zmp system through rosbridge:
 * the page advertises `/Browser/sum` and `/Browser/greet` with roslib, and
 * zmp nodes call `Browser.sum` and `Browser.greet` like any service. The
 * rosbridge server needs this file's generated module (`--api`) to know
 * their types.
 *
 * @module
 */

/**
 * What a page connected through rosbridge can do.
 * @service
 */
export interface Browser {
  /** Adds two numbers, in the page. */
  sum(a: number, b: number): Promise<number>;
  /** Greets someone, in the page's words. */
  greet(name: string): Promise<string>;
}
