/**
 * The activity recorder (src/ops/activity-recorder.ts) as a list of what was reported, for the
 * unit tests: what the jobs report (RequestActivity) and what the listeners report (ListenerActivity).
 */
import type { RefusedAttempt } from '../../../src/domain/audit-event.js';
import type { HbrRequest, Submission } from '../../../src/domain/request.js';
import type { RequestActivity } from '../../../src/jobs/ports.js';
import type { CommandOutcome } from '../../../src/slack/listeners/commands/types.js';
import type { ListenerActivity } from '../../../src/slack/listeners/deps.js';

/** One report about a request, with its status when reported. */
export interface RequestReport {
  kind: 'requestCreated' | 'decided' | 'submitted' | 'refused' | 'finished';
  requestId: string;
  status: HbrRequest['status'];
  /** The chunk, for `submitted`. */
  chunk?: number;
}

export class FakeActivityRecorder implements RequestActivity, ListenerActivity {
  readonly reports: RequestReport[] = [];
  /** Each slash command's outcome, as counted for the commands metric. */
  readonly commands: Array<{ command: string; outcome: CommandOutcome }> = [];
  /** Attempts refused at a command or a button, as the audit trail records them. */
  readonly accessRefusals: RefusedAttempt[] = [];
  /** The approver group each decision was made through, in order. */
  readonly approverGroups: Array<string | null> = [];
  /** Requests the sweep skipped, counted. */
  sweepSkips = 0;

  /** The kinds reported, in order. */
  kinds(): RequestReport['kind'][] {
    return this.reports.map((report) => report.kind);
  }

  command(command: string, outcome: CommandOutcome): void {
    this.commands.push({ command, outcome });
  }

  async requestCreated(request: HbrRequest): Promise<void> {
    this.reports.push({ kind: 'requestCreated', requestId: request.id, status: request.status });
  }

  async decided(request: HbrRequest, approverGroup: string | null = null): Promise<void> {
    this.reports.push({ kind: 'decided', requestId: request.id, status: request.status });
    this.approverGroups.push(approverGroup);
  }

  async accessRefused(attempt: RefusedAttempt): Promise<void> {
    this.accessRefusals.push(attempt);
  }

  async submitted(request: HbrRequest, submission: Submission): Promise<void> {
    this.reports.push({ kind: 'submitted', requestId: request.id, status: request.status, chunk: submission.index });
  }

  async refused(request: HbrRequest): Promise<void> {
    this.reports.push({ kind: 'refused', requestId: request.id, status: request.status });
  }

  sweepSkipped(): void {
    this.sweepSkips += 1;
  }

  async finished(request: HbrRequest): Promise<void> {
    this.reports.push({ kind: 'finished', requestId: request.id, status: request.status });
  }
}
