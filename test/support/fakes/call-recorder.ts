/**
 * What every fake shares: the names of the methods called, in order (so a test can check what
 * came before what), and failures a test plants on a method (Redis down, Slack refusing).
 */
export class CallRecorder<Method extends string> {
  readonly calls: Method[] = [];
  private readonly failures = new Map<Method, unknown>();

  /** Every later call of `method` throws `error`, until `heal`. */
  fail(method: Method, error: unknown): void {
    this.failures.set(method, error);
  }

  heal(method: Method): void {
    this.failures.delete(method);
  }

  /** Called first in each faked method: records the call, then throws the planted failure, if any. */
  enter(method: Method): void {
    this.calls.push(method);
    if (this.failures.has(method)) throw this.failures.get(method);
  }

  count(method: Method): number {
    return this.calls.filter((called) => called === method).length;
  }
}
