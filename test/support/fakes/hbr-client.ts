/**
 * The HBR client (src/hbr/client.ts) as scripted answers, for the unit tests: every call is
 * recorded with its arguments; what HBR answers is set by the test.
 */

import type { HbrClient } from '../../../src/hbr/client.js';
import { HbrError } from '../../../src/hbr/errors.js';
import type { BackupClientInfo, InstallSubmission, TaskReport } from '../../../src/hbr/types.js';

type FakedMethod = 'installBackupClients' | 'uninstallBackupClients' | 'describeTask' | 'describeBackupClients';

/** One InstallBackupClients or UninstallBackupClients call as the fake received it. */
export interface HbrSubmitCall {
  action: 'InstallBackupClients' | 'UninstallBackupClients';
  instanceIds: string[];
  region: string | undefined;
}

/** HBR's error for `code`, classified (transient, outcome unknown) as the real client would. */
export function hbrError(code: string, action = 'InstallBackupClients', httpStatus: number | null = null): HbrError {
  return new HbrError({ code, action, message: `${code} (fake)`, httpStatus, requestId: `HBR-${code}` });
}

/** HBR taking every instance of the call and starting task `t-<n>` for them. */
export function acceptEveryInstance(call: HbrSubmitCall, n: number): InstallSubmission {
  return {
    instanceIds: call.instanceIds,
    taskId: `t-${n}`,
    requestId: `HBR-REQ-${n}`,
    statuses: call.instanceIds.map((instanceId) => ({ instanceId, valid: true, errorCode: '' })),
  };
}

/** A DescribeTask answer for `taskId`. */
export function taskReport(
  taskId: string,
  phase: TaskReport['phase'],
  results: TaskReport['results'] = [],
  progress = phase === 'running' ? 40 : 100,
): TaskReport {
  return { taskId, requestId: `HBR-DT-${taskId}`, phase, progress, description: phase, results, updatedAt: null };
}

export class FakeHbrClient implements Pick<HbrClient, FakedMethod> {
  readonly submitCalls: HbrSubmitCall[] = [];
  readonly describeTaskCalls: string[] = [];
  readonly describeBackupClientsCalls: Array<{ instanceIds: string[]; region: string | undefined }> = [];
  /** HBR's answer to the `n`th submission (from 0); throw from it for a failed call. */
  answerSubmission: (call: HbrSubmitCall, n: number) => InstallSubmission = acceptEveryInstance;
  /** DescribeTask's answer per task: a report, or an error it throws. */
  readonly taskAnswers = new Map<string, TaskReport | HbrError>();
  /** DescribeBackupClients' answer: the clients it knows (filtered by the IDs asked for), or an error. */
  backupClients: BackupClientInfo[] | HbrError = [];

  private submit(action: HbrSubmitCall['action'], instanceIds: string[], region?: string): InstallSubmission[] {
    const call = { action, instanceIds: [...instanceIds], region };
    this.submitCalls.push(call);
    return [this.answerSubmission(call, this.submitCalls.length - 1)];
  }

  async installBackupClients(instanceIds: string[], region?: string): Promise<InstallSubmission[]> {
    return this.submit('InstallBackupClients', instanceIds, region);
  }

  async uninstallBackupClients(instanceIds: string[], region?: string): Promise<InstallSubmission[]> {
    return this.submit('UninstallBackupClients', instanceIds, region);
  }

  async describeTask(taskId: string): Promise<TaskReport> {
    this.describeTaskCalls.push(taskId);
    const answer = this.taskAnswers.get(taskId);
    if (answer === undefined) throw new Error(`the test gave no DescribeTask answer for ${taskId}`);
    if (answer instanceof HbrError) throw answer;
    return answer;
  }

  async describeBackupClients(instanceIds: string[], region?: string): Promise<BackupClientInfo[]> {
    this.describeBackupClientsCalls.push({ instanceIds: [...instanceIds], region });
    if (this.backupClients instanceof HbrError) throw this.backupClients;
    return this.backupClients.filter((client) => instanceIds.includes(client.instanceId));
  }
}
