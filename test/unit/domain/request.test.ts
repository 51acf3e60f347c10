import { describe, expect, it } from 'vitest';
import { type TaskProgress, withTasks } from '../../../src/domain/request.js';
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
