import { describe, expect, it } from 'vitest';
import {
  checkDecider,
  isFinal,
  newRequest,
  REQUEST_ID_PATTERN,
  REQUEST_RETENTION_MS,
  type RequestStatus,
  type TaskProgress,
  TRANSITIONS,
  withTasks,
} from '../../../src/domain/request.js';
import { pendingRequest, submit, withStatus } from '../../support/request-fixtures.js';

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
      pending: ['approved', 'rejected', 'expired', 'failed'],
      approved: ['submitting', 'failed'],
      submitting: ['polling', 'finished', 'failed'],
      polling: ['finished', 'failed'],
      rejected: [],
      expired: [],
      finished: [],
      failed: [],
    });
    const final = (Object.keys(TRANSITIONS) as RequestStatus[]).filter(isFinal);
    expect(final.sort()).toEqual(['expired', 'failed', 'finished', 'rejected']);
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

describe('checkDecider', () => {
  const request = { requesterId: 'U1' };
  it.each([
    ['a non-approver approving', 'U2', false, false, 'approve', { allowed: false, reason: 'not_approver' }],
    [
      'a non-approver rejecting their own request',
      'U1',
      false,
      true,
      'reject',
      { allowed: false, reason: 'not_approver' },
    ],
    [
      'an approver approving their own request',
      'U1',
      true,
      false,
      'approve',
      { allowed: false, reason: 'self_approval' },
    ],
    ['an approver approving their own request when allowed', 'U1', true, true, 'approve', { allowed: true }],
    ['an approver withdrawing their own request', 'U1', true, false, 'reject', { allowed: true }],
    ["an approver approving someone else's request", 'U2', true, false, 'approve', { allowed: true }],
  ] as const)('%s', (_case, userId, isApprover, allowSelfApproval, action, expected) => {
    expect(checkDecider(request, userId, isApprover, allowSelfApproval, action)).toEqual(expected);
  });
});
