/**
 * Everything the job processors are handed, as fakes: one set per test, with the deps object the
 * composition root would build (bot.ts) and the fakes themselves to script and inspect.
 */
import type { AlibabaApiError } from '../../../src/alibaba/errors.js';
import type { ExpireJobDeps } from '../../../src/jobs/expire.js';
import type { PollJobDeps } from '../../../src/jobs/poll.js';
import type { PreflightJobDeps } from '../../../src/jobs/preflight.js';
import type { SubmitJobDeps } from '../../../src/jobs/submit.js';
import type { SweepDeps } from '../../../src/jobs/sweep.js';
import { FakeActivityRecorder } from './activity-recorder.js';
import { FakeClock } from './clock.js';
import { FakeEcsClient } from './ecs-client.js';
import { FakeHbrClient } from './hbr-client.js';
import { FakeJobQueues } from './job-queues.js';
import { silentLogger } from './logger.js';
import { FakeRequestPublisher } from './request-publisher.js';
import { FakeRequestStore } from './request-store.js';

/**
 * HBR_POLL_FIRST_DELAY_MS, HBR_POLL_INTERVAL_MS and HBR_TASK_TIMEOUT_MS for the tests: three
 * different values, so a test notices one used in place of another.
 */
export const POLL_TIMINGS = { firstPollDelayMs: 45_000, intervalMs: 20_000, taskTimeoutMs: 300_000 } as const;

/** The words the fake gives a failure: its code, so a test can see where an explanation was used. */
function explainFailure(error: AlibabaApiError): string {
  return `explained ${error.code}`;
}

export type AllJobDeps = SubmitJobDeps & PollJobDeps & ExpireJobDeps & PreflightJobDeps & SweepDeps;

export function fakeJobWorld() {
  const clock = new FakeClock();
  const store = new FakeRequestStore();
  const hbr = new FakeHbrClient();
  const ecs = new FakeEcsClient();
  const queues = new FakeJobQueues();
  const messages = new FakeRequestPublisher(store);
  const activity = new FakeActivityRecorder();
  const deps: AllJobDeps = {
    store,
    hbr,
    ecs,
    queues,
    messages,
    activity,
    explainFailure,
    approvals: {
      isApprover: async () => true,
      allowSelfApproval: false,
      explainRefusal: (refusal) => `refused: ${refusal.reason}`,
    },
    // A claim held by a run that died is taken as stale at once: these tests have one run at a time.
    claimStaleMs: 0,
    firstPollDelayMs: POLL_TIMINGS.firstPollDelayMs,
    intervalMs: POLL_TIMINGS.intervalMs,
    taskTimeoutMs: POLL_TIMINGS.taskTimeoutMs,
    enabled: true,
    tagKeys: [],
    preflightEnabled: true,
    now: clock.now,
    logger: silentLogger(),
  };
  return { clock, store, hbr, ecs, queues, messages, activity, deps };
}
