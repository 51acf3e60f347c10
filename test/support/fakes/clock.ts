/**
 * The clock the jobs and listeners are handed (`now`), moved by the test.
 */
import { T0 } from '../request-fixtures.js';

export class FakeClock {
  constructor(public time: number = T0) {}

  readonly now = (): number => this.time;

  advance(ms: number): void {
    this.time += ms;
  }
}
