import { describe, expect, it } from 'vitest';
import { KNOWN_CLIENT_STATUSES } from '../../../src/domain/client-status.js';
import { OPERATIONS, type Operation, operationSpec } from '../../../src/domain/operation.js';
import type { InstanceOutcome, InstanceOutcomeKind } from '../../../src/domain/outcome.js';
import {
  allTasksEnded,
  instanceOutcomes,
  SUBMISSION_UNANSWERED,
  SUBMISSION_UNCERTAIN,
  summarize,
  uncertainInstanceIds,
} from '../../../src/domain/outcome.js';
import type { HbrRequest, TaskPhase } from '../../../src/domain/request.js';
import {
  CLIENT_STATUS_SENTENCES,
  clientStatusSentence,
  INSTANCE_ERROR_SENTENCES,
  instanceErrorSentence,
} from '../../../src/slack/messages/hbr-sentences.js';
import { operationWords } from '../../../src/slack/messages/operation-words.js';
import { outcomeDetail, requestSummary, summaryLine } from '../../../src/slack/messages/outcome-text.js';
import { instanceIds, pendingRequest, poll, submit, T0, withStatus } from '../../support/request-fixtures.js';

/** hbr-api.md's clientStatus list, as the HBR client types spell it. */
const DOCUMENTED_STATUSES = KNOWN_CLIENT_STATUSES;

/** A request's outcomes, each with the sentence its messages show (slack/messages/outcome-text.ts). */
function described(request: HbrRequest): Array<InstanceOutcome & { detail: string }> {
  return instanceOutcomes(request).map((o) => ({ ...o, detail: outcomeDetail(o, request.operation) }));
}

function single(
  status: HbrRequest['status'],
  phase: TaskPhase,
  clientStatus: string | null,
  errorCode = '',
  operation: Operation = 'install',
): InstanceOutcome & { detail: string } {
  const request = poll(submit(withStatus(pendingRequest(1, 'cn-hangzhou', operation), status)), phase, () =>
    clientStatus === null ? null : { clientStatus, errorCode },
  );
  const [outcome] = described(request);
  if (!outcome) throw new Error('no outcome');
  return outcome;
}

describe('wording tables', () => {
  it.each(OPERATIONS)('%s: every documented clientStatus has a sentence and is in exactly one class', (operation) => {
    const spec = operationSpec(operation);
    for (const status of DOCUMENTED_STATUSES) {
      expect(CLIENT_STATUS_SENTENCES[status]).toBeTruthy();
      const classes = [new Set([spec.targetStatus]), spec.inProgressStatuses, spec.failureStatuses].filter((set) =>
        set.has(status),
      );
      expect(classes, status).toHaveLength(1);
    }
    expect(Object.keys(CLIENT_STATUS_SENTENCES).sort()).toEqual([...DOCUMENTED_STATUSES].sort());
    for (const status of Object.keys(operationWords(operation).resultSentences))
      expect(DOCUMENTED_STATUSES).toContain(status);
  });

  it('words a few results by operation and the rest alike', () => {
    expect(clientStatusSentence('NOT_INSTALLED', 'install')).toBe(
      'backup client is not installed — HBR did not get to install it',
    );
    expect(clientStatusSentence('NOT_INSTALLED', 'uninstall')).toBe('backup client uninstalled');
    expect(clientStatusSentence('NOT_INSTALLED')).toMatch(/\/hbr-install/);
    expect(clientStatusSentence('STOPPED', 'uninstall')).toBe(CLIENT_STATUS_SENTENCES.STOPPED);
    // A value from HBR never finds an Object prototype member.
    expect(clientStatusSentence('constructor', 'install')).toMatch(/"constructor", which hbr-bot does not know/);
  });

  it('explains the documented per-instance error codes', () => {
    expect(instanceErrorSentence('InstanceNotRunning')).toBe('instance is not running — start it and request again');
    expect(instanceErrorSentence('InstanceNotExists')).toMatch(/--region/);
    expect(instanceErrorSentence('CloudAssistNotRunningOnInstance')).toMatch(/Cloud Assistant/);
    expect(Object.keys(INSTANCE_ERROR_SENTENCES)).toHaveLength(3);
    expect(instanceErrorSentence('SomethingNew')).toBe('HBR refused this instance (error SomethingNew)');
    expect(instanceErrorSentence('')).toMatch(/without giving a reason/);
  });

  it('shows unknown statuses raw, shortened', () => {
    expect(clientStatusSentence('HIBERNATING')).toMatch(/"HIBERNATING", which hbr-bot does not know/);
    expect(clientStatusSentence('')).toMatch(/an empty client status/);
    expect(clientStatusSentence('X'.repeat(500)).length).toBeLessThan(200);
  });
});

describe("instanceOutcomes: every clientStatus, judged by the operation's target", () => {
  it.each<[Operation, string, InstanceOutcomeKind, InstanceOutcomeKind, InstanceOutcomeKind]>([
    // operation, status, while running, after completed, after timed_out
    ['install', 'ACTIVATED', 'succeeded', 'succeeded', 'succeeded'],
    ['install', 'INSTALLING', 'in_progress', 'failed', 'timed_out'],
    ['install', 'REGISTERED', 'in_progress', 'failed', 'timed_out'],
    ['install', 'UPGRADING', 'in_progress', 'failed', 'timed_out'],
    ['install', 'UNINSTALLING', 'in_progress', 'failed', 'timed_out'],
    ['install', 'INSTALL_FAILED', 'failed', 'failed', 'failed'],
    ['install', 'NOT_INSTALLED', 'failed', 'failed', 'failed'],
    ['install', 'DEACTIVATED', 'failed', 'failed', 'failed'],
    ['install', 'UNKNOWN', 'failed', 'failed', 'failed'],
    ['install', 'UPGRADE_FAILED', 'failed', 'failed', 'failed'],
    ['install', 'UNINSTALL_FAILED', 'failed', 'failed', 'failed'],
    ['install', 'STOPPED', 'failed', 'failed', 'failed'],
    ['install', 'HIBERNATING', 'unknown', 'unknown', 'unknown'],
    ['install', 'activated', 'unknown', 'unknown', 'unknown'],
    ['install', '', 'unknown', 'unknown', 'unknown'],
    ['uninstall', 'NOT_INSTALLED', 'succeeded', 'succeeded', 'succeeded'],
    ['uninstall', 'UNINSTALLING', 'in_progress', 'failed', 'timed_out'],
    ['uninstall', 'UNINSTALL_FAILED', 'failed', 'failed', 'failed'],
    ['uninstall', 'UNKNOWN', 'failed', 'failed', 'failed'],
    ['uninstall', 'ACTIVATED', 'failed', 'failed', 'failed'],
    ['uninstall', 'INSTALLING', 'failed', 'failed', 'failed'],
    ['uninstall', 'HIBERNATING', 'unknown', 'unknown', 'unknown'],
  ])('%s %j: running %s, completed %s, timed out %s', (operation, status, running, completed, timedOut) => {
    expect(single('polling', 'running', status, '', operation).kind).toBe(running);
    expect(single('finished', 'completed', status, '', operation).kind).toBe(completed);
    expect(single('finished', 'timed_out', status, '', operation).kind).toBe(timedOut);
  });

  it('installed carries no code', () => {
    expect(single('finished', 'completed', 'ACTIVATED')).toMatchObject({
      kind: 'succeeded',
      code: '',
      detail: 'backup client installed and active',
    });
  });

  it('a failure shows the status and the task errorCode, or else the status alone', () => {
    expect(single('finished', 'completed', 'INSTALL_FAILED')).toMatchObject({
      code: 'INSTALL_FAILED',
      detail: CLIENT_STATUS_SENTENCES.INSTALL_FAILED,
    });
    expect(single('finished', 'completed', 'INSTALL_FAILED', 'CloudAssistNotRunningOnInstance')).toMatchObject({
      kind: 'failed',
      code: 'INSTALL_FAILED CloudAssistNotRunningOnInstance',
      detail: INSTANCE_ERROR_SENTENCES.CloudAssistNotRunningOnInstance,
    });
    expect(single('finished', 'completed', 'NOT_INSTALLED', 'E_WEIRD')).toMatchObject({
      code: 'NOT_INSTALLED E_WEIRD',
      detail: 'backup client is not installed — HBR did not get to install it',
    });
  });

  it('an unknown status is shown raw and never counted as installed', () => {
    const outcome = single('finished', 'completed', 'HIBERNATING');
    expect(outcome).toMatchObject({ kind: 'unknown', code: 'HIBERNATING' });
    expect(outcome.detail).toContain('HIBERNATING');
    expect(summarize([outcome])).toMatchObject({ succeeded: 0, tally: [{ kind: 'unknown', count: 1 }] });
  });

  it('a non-terminal status in an ended task says which status and phase', () => {
    expect(single('finished', 'expired', 'INSTALLING')).toMatchObject({ kind: 'failed', code: 'INSTALLING' });
    expect(single('finished', 'expired', 'INSTALLING').detail).toMatch(/INSTALLING.*expired/);
    expect(single('finished', 'timed_out', 'REGISTERED').detail).toMatch(/stopped waiting/);
  });
});

describe('instanceOutcomes: an uninstall in its own words', () => {
  it('explains a failed uninstall in uninstall words, with the error code', () => {
    expect(single('finished', 'completed', 'UNINSTALL_FAILED', 'UninstallClientFailed', 'uninstall')).toMatchObject({
      kind: 'failed',
      code: 'UNINSTALL_FAILED UninstallClientFailed',
      detail: operationWords('uninstall').resultSentences.UNINSTALL_FAILED,
    });
    expect(single('finished', 'completed', 'ACTIVATED', '', 'uninstall').detail).toMatch(/still installed/);
    expect(single('finished', 'completed', 'NOT_INSTALLED', '', 'uninstall')).toMatchObject({
      kind: 'succeeded',
      code: '',
      detail: 'backup client uninstalled',
    });
  });

  it('names the uninstall task in outcomes before any result, and sums up in uninstall words', () => {
    const sent = { ...submit(withStatus(pendingRequest(2, 'cn-hangzhou', 'uninstall'), 'polling')), submissions: [] };
    const noTask = submit(withStatus(pendingRequest(2, 'cn-hangzhou', 'uninstall'), 'finished'), {}, 1);
    const withoutTask = { ...noTask, submissions: noTask.submissions.map((s) => ({ ...s, taskId: null })) };
    expect(described(withoutTask)[0]?.detail).toBe(
      'HBR accepted the call but started no uninstall task for this instance',
    );
    expect(requestSummary(sent).line).toBe('Uninstalling from 2 instances: 2 waiting');
    const done = poll(
      submit(withStatus(pendingRequest(3, 'cn-hangzhou', 'uninstall'), 'finished')),
      'completed',
      (id) => (id.endsWith('2') ? { clientStatus: 'UNINSTALL_FAILED' } : { clientStatus: 'NOT_INSTALLED' }),
    );
    expect(requestSummary(done)).toMatchObject({
      line: 'Uninstalled from 2 of 3 instances — 1 failed',
      summary: { succeeded: 2, byKind: { failed: 1 } },
    });
  });
});

describe('instanceOutcomes: no result for an instance', () => {
  it.each<[TaskPhase, InstanceOutcomeKind, RegExp]>([
    ['running', 'in_progress', /working on it \(task t-task0, 40%\)/],
    ['completed', 'failed', /completed without a result/],
    ['failed', 'failed', /failed without a result/],
    ['expired', 'failed', /expired without a result/],
    ['cancelled', 'failed', /was cancelled without a result/],
    ['timed_out', 'timed_out', /timed out without a result/],
  ])('task %s -> %s', (phase, kind, detail) => {
    const outcome = single(phase === 'running' ? 'polling' : 'finished', phase, null);
    expect(outcome.kind).toBe(kind);
    expect(outcome.detail).toMatch(detail);
  });
});

describe('instanceOutcomes: before and around submission', () => {
  it('is waiting before anything is sent', () => {
    for (const status of ['pending', 'approved', 'submitting'] as const) {
      const outcomes = instanceOutcomes(withStatus(pendingRequest(3), status));
      expect(outcomes.map((o) => o.kind)).toEqual(['waiting', 'waiting', 'waiting']);
    }
  });

  it('is not_submitted for chunks never sent once the request has ended', () => {
    const request = submit(
      withStatus(pendingRequest(45), 'failed', {
        failure: { code: 'Forbidden.RAM', explanation: 'missing RAM permission', hbrRequestId: 'REQ-9' },
      }),
      {},
      1,
    );
    const kinds = instanceOutcomes(poll(request, 'completed', () => ({ clientStatus: 'ACTIVATED' }))).map(
      (o) => o.kind,
    );
    expect(kinds.slice(0, 20).every((k) => k === 'succeeded')).toBe(true);
    expect(kinds.slice(20).every((k) => k === 'not_submitted')).toBe(true);
    expect(described(request)[30]?.detail).toBe('not sent to HBR: the request failed first (Forbidden.RAM)');
    // The same record while the install job is still working: the rest is waiting.
    const inFlight = { ...request, status: 'submitting' as const, failure: null };
    expect(instanceOutcomes(inFlight)[30]?.kind).toBe('waiting');
  });

  it('a submitted instance with no DescribeTask yet is in progress, or failed once the request ended', () => {
    const sent = submit(withStatus(pendingRequest(2), 'polling'));
    expect(instanceOutcomes(sent).map((o) => o.kind)).toEqual(['in_progress', 'in_progress']);
    expect(described(sent)[0]?.detail).toMatch(/first status check pending/);
    const ended = { ...sent, status: 'finished' as const };
    expect(instanceOutcomes(ended).map((o) => o.kind)).toEqual(['failed', 'failed']);
  });

  it('refusals keep their ErrorCode, even in a chunk whose task ran', () => {
    const ids = instanceIds(3);
    const request = poll(
      submit(withStatus(pendingRequest(3), 'finished'), {
        [ids[1] ?? '']: 'InstanceNotRunning',
        [ids[2] ?? '']: 'InstanceNotExists',
      }),
      'completed',
      () => ({ clientStatus: 'ACTIVATED' }),
    );
    expect(described(request).map(({ reason, ...o }) => o)).toEqual([
      { instanceId: ids[0], kind: 'succeeded', code: '', detail: 'backup client installed and active' },
      {
        instanceId: ids[1],
        kind: 'refused',
        code: 'InstanceNotRunning',
        detail: 'instance is not running — start it and request again',
      },
      {
        instanceId: ids[2],
        kind: 'refused',
        code: 'InstanceNotExists',
        detail: INSTANCE_ERROR_SENTENCES.InstanceNotExists,
      },
    ]);
  });

  it('a chunk HBR refused entirely has no task and its instances are refused', () => {
    const ids = instanceIds(2);
    const request = submit(withStatus(pendingRequest(2), 'finished'), {
      [ids[0] ?? '']: 'CloudAssistNotRunningOnInstance',
      [ids[1] ?? '']: 'CloudAssistNotRunningOnInstance',
    });
    expect(request.submissions[0]?.taskId).toBeNull();
    expect(instanceOutcomes(request).map((o) => o.kind)).toEqual(['refused', 'refused']);
    expect(allTasksEnded(request)).toBe(true);
  });

  it.each([
    [
      SUBMISSION_UNCERTAIN,
      /^hbr-bot restarted while it was asking HBR, so it cannot tell whether HBR took this instance/,
    ],
    [
      SUBMISSION_UNANSWERED,
      /^hbr-bot lost HBR's answer \(no answer in time, the connection was cut, or an error page came back instead\), so it cannot tell whether HBR took this instance/,
    ],
  ])(
    'a chunk whose answer nobody has (%s) is unknown, never refused, with its cause and what to do',
    (unknownCode, cause) => {
      const ids = instanceIds(2);
      const request = submit(withStatus(pendingRequest(2), 'finished'), {
        [ids[0] ?? '']: unknownCode,
        [ids[1] ?? '']: unknownCode,
      });
      const outcomes = described(request);
      expect(outcomes.map((o) => [o.kind, o.code])).toEqual([
        ['unknown', unknownCode],
        ['unknown', unknownCode],
      ]);
      expect(outcomes[0]?.detail).toMatch(cause);
      expect(outcomes[0]?.detail).toMatch(
        /did not ask twice — check it with \/hbr-status, then request again if needed$/,
      );
      expect(instanceErrorSentence(unknownCode)).toBe(outcomes[0]?.detail);
      // Named apart from failures: they may well be installed, and are checked rather than requested again.
      expect(requestSummary(request).line).toBe('Installed on 0 of 2 instances — 2 unknown');
    },
  );

  it.each<[string, Operation, Record<string, string>, string | null, string, string, RegExp]>([
    [
      'HBR shows the install done',
      'install',
      { X: 'ACTIVATED' },
      null,
      'succeeded',
      `${SUBMISSION_UNANSWERED} ACTIVATED`,
      /^backup client installed and active, as HBR showed at the end \(hbr-bot lost HBR's answer/,
    ],
    [
      'HBR still installs',
      'install',
      { X: 'INSTALLING' },
      null,
      'unknown',
      `${SUBMISSION_UNANSWERED} INSTALLING`,
      /; at the end HBR showed: HBR is installing the backup client — check it again with \/hbr-status/,
    ],
    [
      'HBR lists no client after an install',
      'install',
      {},
      null,
      'unknown',
      SUBMISSION_UNANSWERED,
      /; at the end HBR listed no backup client for it — check it again/,
    ],
    [
      'HBR lists no client after an uninstall',
      'uninstall',
      {},
      null,
      'succeeded',
      SUBMISSION_UNANSWERED,
      /^backup client uninstalled, as HBR showed at the end/,
    ],
    [
      'HBR could not be asked',
      'install',
      {},
      'HBR is temporarily unavailable',
      'unknown',
      SUBMISSION_UNANSWERED,
      /and could not check afterwards \(HBR is temporarily unavailable\) — check it with \/hbr-status/,
    ],
  ])('an unknown submission checked at the end: %s', (_, operation, statuses, error, kind, code, detail) => {
    const [id] = instanceIds(1);
    const submitted = submit(withStatus(pendingRequest(1, 'cn-hangzhou', operation), 'finished'), {
      [id ?? '']: SUBMISSION_UNANSWERED,
    });
    const request = {
      ...submitted,
      clientCheck: {
        checkedAt: T0,
        statuses: Object.fromEntries(Object.values(statuses).map((status) => [id ?? '', status])),
        error,
      },
    };
    expect(uncertainInstanceIds(request)).toEqual([id]);
    const [result] = described(request);
    expect([result?.kind, result?.code]).toEqual([kind, code]);
    expect(result?.detail).toMatch(detail);
    expect(summarize(instanceOutcomes(request)).byKind.unknown).toBe(kind === 'unknown' ? 1 : 0);
  });

  it('gives one outcome per requested instance, in request order', () => {
    const request = poll(submit(withStatus(pendingRequest(60), 'polling')), 'running', (id) =>
      id.endsWith('7') ? { clientStatus: 'ACTIVATED' } : null,
    );
    const outcomes = instanceOutcomes(request);
    expect(outcomes.map((o) => o.instanceId)).toEqual(request.instanceIds);
  });
});

describe('summaries', () => {
  function outcomes(kinds: InstanceOutcomeKind[]): InstanceOutcome[] {
    return kinds.map((kind, i) => ({
      instanceId: `i-${String(i).padStart(8, '0')}`,
      kind,
      code: '',
      reason: { type: 'waiting' },
    }));
  }
  const times = (n: number, kind: InstanceOutcomeKind): InstanceOutcomeKind[] => Array.from({ length: n }, () => kind);

  it('counts every instance once, by kind, and tallies the kinds present in a fixed order', () => {
    const summary = summarize(
      outcomes(['succeeded', 'failed', 'refused', 'timed_out', 'unknown', 'not_submitted', 'waiting', 'in_progress']),
    );
    expect(summary).toEqual({
      total: 8,
      succeeded: 1,
      inProgress: 2,
      byKind: {
        succeeded: 1,
        failed: 1,
        refused: 1,
        timed_out: 1,
        unknown: 1,
        not_submitted: 1,
        waiting: 1,
        in_progress: 1,
      },
      tally: [
        { kind: 'succeeded', count: 1 },
        { kind: 'in_progress', count: 1 },
        { kind: 'waiting', count: 1 },
        { kind: 'refused', count: 1 },
        { kind: 'failed', count: 1 },
        { kind: 'timed_out', count: 1 },
        { kind: 'unknown', count: 1 },
        { kind: 'not_submitted', count: 1 },
      ],
    });
  });

  it.each<[InstanceOutcomeKind[], string, string]>([
    [
      [...times(18, 'succeeded'), 'failed', 'refused'],
      'Installed on 18 of 20 instances — 1 refused by HBR, 1 failed',
      'Uninstalled from 18 of 20 instances — 1 refused by HBR, 1 failed',
    ],
    [times(3, 'succeeded'), 'Installed on 3 of 3 instances', 'Uninstalled from 3 of 3 instances'],
    [['succeeded'], 'Installed on 1 of 1 instance', 'Uninstalled from 1 of 1 instance'],
    [
      ['succeeded', 'refused', 'refused', 'failed'],
      'Installed on 1 of 4 instances — 2 refused by HBR, 1 failed',
      'Uninstalled from 1 of 4 instances — 2 refused by HBR, 1 failed',
    ],
    [
      ['refused', 'unknown'],
      'Installed on 0 of 2 instances — 1 refused by HBR, 1 unknown',
      'Uninstalled from 0 of 2 instances — 1 refused by HBR, 1 unknown',
    ],
    [
      [...times(5, 'succeeded'), ...times(15, 'in_progress')],
      'Installing on 20 instances: 5 installed, 15 installing',
      'Uninstalling from 20 instances: 5 uninstalled, 15 uninstalling',
    ],
    [
      [...times(4, 'succeeded'), 'refused', ...times(15, 'waiting')],
      'Installing on 20 instances: 4 installed, 15 waiting, 1 refused by HBR',
      'Uninstalling from 20 instances: 4 uninstalled, 15 waiting, 1 refused by HBR',
    ],
    [[], 'No instances', 'No instances'],
  ])('%j -> %s / %s', (kinds, install, uninstall) => {
    expect(summaryLine(summarize(outcomes(kinds)), 'install')).toBe(install);
    expect(summaryLine(summarize(outcomes(kinds)), 'uninstall')).toBe(uninstall);
  });
});

describe('allTasksEnded', () => {
  it('is true when no task was started', () => {
    expect(allTasksEnded(pendingRequest(3))).toBe(true);
  });

  it('is false while a task was never polled or still runs', () => {
    const sent = submit(withStatus(pendingRequest(30), 'polling'));
    expect(allTasksEnded(sent)).toBe(false);
    expect(allTasksEnded(poll(sent, 'running', () => null))).toBe(false);
    const mixed = poll(sent, 'completed', () => null);
    const [first, second] = mixed.tasks;
    if (!first || !second) throw new Error('expected two tasks');
    expect(allTasksEnded({ ...mixed, tasks: [first, { ...second, phase: 'running' }] })).toBe(false);
    expect(allTasksEnded({ ...mixed, tasks: [first] })).toBe(false);
  });

  it.each<TaskPhase>(['completed', 'failed', 'expired', 'cancelled', 'timed_out'])(
    'is true once every task is %s',
    (phase) => {
      expect(allTasksEnded(poll(submit(withStatus(pendingRequest(30), 'polling')), phase, () => null))).toBe(true);
    },
  );
});

describe('instanceOutcomes: what they carry without an answer from HBR', () => {
  const one = (status: HbrRequest['status']) => submit(withStatus(pendingRequest(1), status));
  const kindsAndCodes = (request: HbrRequest) => instanceOutcomes(request).map((o) => [o.kind, o.code, o.reason.type]);
  const withoutTask = (request: HbrRequest): HbrRequest => ({
    ...request,
    submissions: request.submissions.map((s) => ({ ...s, taskId: null })),
  });

  it('has no code while waiting, in progress, or ended without a result', () => {
    expect(kindsAndCodes(pendingRequest(1))).toEqual([['waiting', '', 'waiting']]);
    expect(kindsAndCodes(withStatus(pendingRequest(1), 'failed'))).toEqual([['not_submitted', '', 'not_sent']]);
    expect(kindsAndCodes(withoutTask(one('polling')))).toEqual([['in_progress', '', 'no_task']]);
    expect(kindsAndCodes(withoutTask(one('finished')))).toEqual([['failed', '', 'no_task']]);
    expect(kindsAndCodes(one('polling'))).toEqual([['in_progress', '', 'task_not_polled']]);
    expect(kindsAndCodes(one('finished'))).toEqual([['failed', '', 'task_not_polled']]);
    expect(kindsAndCodes(poll(one('polling'), 'running', () => null))).toEqual([['in_progress', '', 'task_running']]);
    expect(kindsAndCodes(poll(one('finished'), 'completed', () => null))[0]?.slice(1)).toEqual(['', 'no_result']);
  });

  it('takes the last result when a task lists an instance twice', () => {
    const request = poll(one('finished'), 'completed', () => ({ clientStatus: 'INSTALL_FAILED', errorCode: 'E' }));
    const [task] = request.tasks;
    const [first] = task?.results ?? [];
    if (task === undefined || first === undefined) throw new Error('fixture has no result');
    const twice = { ...request, tasks: [{ ...task, results: [first, { ...first, clientStatus: 'ACTIVATED' }] }] };
    expect(instanceOutcomes(twice)[0]?.kind).toBe('succeeded');
  });

  it('judges an instance by the first submission that names it, or that HBR answered for', () => {
    const base = poll(one('finished'), 'completed', () => ({ clientStatus: 'ACTIVATED' }));
    const [submission] = base.submissions;
    if (submission === undefined) throw new Error('fixture has no submission');
    const resubmitted = { ...submission, index: 1, taskId: 't-never-polled' };
    expect(instanceOutcomes({ ...base, submissions: [submission, resubmitted] })[0]?.kind).toBe('succeeded');
    const answeredOnly = { ...submission, instanceIds: [] };
    expect(instanceOutcomes({ ...base, submissions: [answeredOnly, resubmitted] })[0]?.kind).toBe('succeeded');
  });
});

describe('uncertainInstanceIds', () => {
  it('names only instances HBR refused with an unknown-submission code', () => {
    const [, refused, uncertain] = instanceIds(3);
    const request = submit(withStatus(pendingRequest(3), 'finished'), {
      [refused ?? '']: 'InvalidInstance',
      [uncertain ?? '']: SUBMISSION_UNANSWERED,
    });
    expect(uncertainInstanceIds(request)).toEqual([uncertain]);
  });
});

it('allTasksEnded looks at the task of each submission, not another one', () => {
  expect(allTasksEnded(poll(submit(withStatus(pendingRequest(1), 'polling')), 'completed', () => null))).toBe(true);
});
