import { describe, expect, it } from 'vitest';
import {
  checkApprover,
  checkDecision,
  type DecisionAction,
  eligibleApprovers,
  isFinal,
  newRequest,
  REQUEST_ID_PATTERN,
  REQUEST_RETENTION_MS,
  type RequestStatus,
  type TaskProgress,
  TRANSITIONS,
  withTasks,
} from '../../../src/domain/request.js';
import { APPROVER, pendingRequest, REQUESTER, submit, withStatus } from '../../support/request-fixtures.js';

const task = (taskId: string, progress: number): TaskProgress => ({
  taskId,
  phase: 'running',
  progress,
  results: [],
  polledAt: 0,
  polls: 1,
});

describe('withTasks', () => {
  const request = submit(withStatus(pendingRequest(60), 'polling'));

  it('keeps tasks in submission order, whatever order they were polled in', () => {
    const updated = withTasks(request, [task('t-task2', 10), task('t-task0', 20), task('t-task1', 30)]);
    expect(updated.tasks.map((t) => t.taskId)).toEqual(['t-task0', 't-task1', 't-task2']);
  });

  it('replaces a task record by the newer one and leaves the others and the request alone', () => {
    const first = withTasks(request, [task('t-task0', 10), task('t-task1', 10)]);
    const second = withTasks(first, [task('t-task1', 80)]);
    expect(second.tasks.map((t) => [t.taskId, t.progress])).toEqual([
      ['t-task0', 10],
      ['t-task1', 80],
    ]);
    expect(first.tasks.map((t) => t.progress)).toEqual([10, 10]);
    expect({ ...second, tasks: [] }).toEqual({ ...request, tasks: [] });
  });
});

describe('request ids', () => {
  it('are `r` and 12 base32 characters, nothing before or after', () => {
    expect(REQUEST_ID_PATTERN.test('rabcdefgh2345')).toBe(true);
    for (const id of ['xrabcdefgh2345', 'rabcdefgh23456', 'rabcdefgh234', 'rabcdefgh2341', 'RABCDEFGH2345']) {
      expect(REQUEST_ID_PATTERN.test(id)).toBe(false);
    }
  });
});

it('keeps an ended request for 30 days', () => {
  expect(REQUEST_RETENTION_MS).toBe(2_592_000_000);
});

describe('the state machine', () => {
  it('moves only along the documented arrows, and never out of a final status', () => {
    expect(TRANSITIONS).toEqual({
      pending: ['approved', 'rejected', 'withdrawn', 'expired', 'failed'],
      approved: ['submitting', 'failed'],
      submitting: ['polling', 'finished', 'failed'],
      polling: ['finished', 'failed'],
      rejected: [],
      withdrawn: [],
      expired: [],
      finished: [],
      failed: [],
    });
    const final = (Object.keys(TRANSITIONS) as RequestStatus[]).filter(isFinal);
    expect(final.sort()).toEqual(['expired', 'failed', 'finished', 'rejected', 'withdrawn']);
  });

  it('starts pending, with nothing decided, submitted or posted, and expires after the approval window', () => {
    const instanceIds = ['i-1', 'i-2'];
    const request = newRequest({
      id: 'rabcdefgh2345',
      operation: 'install',
      requesterId: 'U1',
      originChannel: 'C1',
      region: 'cn-hangzhou',
      instanceIds,
      now: 1_000,
      approvalTtlMs: 500,
    });
    instanceIds.push('i-3');
    expect(request).toEqual({
      id: 'rabcdefgh2345',
      operation: 'install',
      status: 'pending',
      requesterId: 'U1',
      originChannel: 'C1',
      region: 'cn-hangzhou',
      instanceIds: ['i-1', 'i-2'],
      createdAt: 1_000,
      expiresAt: 1_500,
      message: null,
      decision: null,
      submissions: [],
      tasks: [],
      failure: null,
      preflight: null,
      clientCheck: null,
      progressTs: null,
      progressDigest: null,
      finalTs: null,
      finishedAt: null,
    });
  });
});

describe('checkApprover', () => {
  const request = { requesterId: 'U1' };
  it.each([
    ['a non-approver', 'U2', false, false, { allowed: false, reason: 'not_approver' }],
    ['a non-approver approving their own request', 'U1', false, true, { allowed: false, reason: 'not_approver' }],
    ['an approver approving their own request', 'U1', true, false, { allowed: false, reason: 'self_approval' }],
    ['an approver approving their own request when allowed', 'U1', true, true, { allowed: true }],
    ["an approver approving someone else's request", 'U2', true, false, { allowed: true }],
  ] as const)('%s', (_case, userId, isApprover, allowSelfApproval, expected) => {
    expect(checkApprover(request, userId, isApprover, allowSelfApproval)).toEqual(expected);
  });
});

describe('checkDecision: who may do what to a pending request', () => {
  const request = pendingRequest(1);
  const check = (userId: string, isApprover: boolean, action: DecisionAction, allowSelfApproval = false) =>
    checkDecision(request, userId, isApprover, allowSelfApproval, action);

  it('lets only the requester withdraw, and reads their own Reject as a withdrawal', () => {
    expect(check(REQUESTER, false, 'withdraw')).toEqual({ allowed: true, outcome: 'withdrawn' });
    expect(check(REQUESTER, true, 'reject')).toEqual({ allowed: true, outcome: 'withdrawn' });
    expect(check(REQUESTER, false, 'reject')).toEqual({ allowed: true, outcome: 'withdrawn' });
    expect(check(APPROVER, true, 'withdraw')).toEqual({ allowed: false, reason: 'not_requester' });
    expect(check('U0STRANGER', false, 'withdraw')).toEqual({ allowed: false, reason: 'not_requester' });
  });

  it('lets approvers approve and reject, and the requester approve only with self-approval', () => {
    expect(check(APPROVER, true, 'approve')).toEqual({ allowed: true, outcome: 'approved' });
    expect(check(APPROVER, true, 'reject')).toEqual({ allowed: true, outcome: 'rejected' });
    expect(check('U0STRANGER', false, 'approve')).toEqual({ allowed: false, reason: 'not_approver' });
    expect(check('U0STRANGER', false, 'reject')).toEqual({ allowed: false, reason: 'not_approver' });
    expect(check(REQUESTER, false, 'approve')).toEqual({ allowed: false, reason: 'not_approver' });
    expect(check(REQUESTER, true, 'approve')).toEqual({ allowed: false, reason: 'self_approval' });
    expect(check(REQUESTER, true, 'approve', true)).toEqual({ allowed: true, outcome: 'approved' });
  });

  it('names as eligible approvers everyone but the requester, unless self-approval is allowed', () => {
    const approvers = [REQUESTER, APPROVER, 'S0OPSTEAM'];
    expect(eligibleApprovers(request, approvers, false)).toEqual([APPROVER, 'S0OPSTEAM']);
    expect(eligibleApprovers(request, approvers, true)).toEqual(approvers);
    expect(eligibleApprovers(request, [REQUESTER], false)).toEqual([]);
  });

  it('makes withdrawn a final status reachable only from pending', () => {
    expect(isFinal('withdrawn')).toBe(true);
    expect(TRANSITIONS.pending).toContain('withdrawn');
    expect(
      (Object.keys(TRANSITIONS) as RequestStatus[]).filter((from) => TRANSITIONS[from].includes('withdrawn')),
    ).toEqual(['pending']);
    expect(TRANSITIONS.withdrawn).toEqual([]);
  });
});
