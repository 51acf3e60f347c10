/**
 * The moments worth recording — a command handled, a request created, decided, submitted,
 * finished — each turned into metrics and, for requests, an audit event (which is also logged).
 * Listeners and jobs report here through the narrow interfaces they declare (slack/listeners/deps.ts,
 * jobs/ports.ts); they never touch prom-client or the audit stream directly.
 */

import type { RefusedAttempt } from '../domain/audit-event.js';
import type { Operation } from '../domain/operation.js';
import { instanceOutcomes, type OutcomeSummary, summarize } from '../domain/outcome.js';
import type { ApprovalRefusal, HbrRequest, Submission } from '../domain/request.js';
import type { AuditTrail } from './audit.js';
import type { BotMetrics } from './metrics.js';

/**
 * A request's outcome in one line ("Installed on 18 of 20 — 2 failed"), for the audit trail: the
 * line the Slack messages show, handed in by the composition root so ops/ chooses no words.
 */
export type SummaryLine = (summary: OutcomeSummary, operation: Operation) => string;

export class ActivityRecorder {
  constructor(
    private readonly metrics: BotMetrics,
    private readonly audit: AuditTrail,
    private readonly summaryLine: SummaryLine,
  ) {}

  /** A slash command handled; `outcome` is one of a closed set the listeners name (a metrics label). */
  command(command: string, outcome: string): void {
    this.metrics.commands.inc({ command, outcome });
  }

  async requestCreated(request: HbrRequest): Promise<void> {
    await this.audit.record({
      type: 'request.created',
      requestId: request.id,
      operation: request.operation,
      actor: request.requesterId,
      channel: request.originChannel,
      region: request.region,
      instances: request.instanceIds.length,
      instanceIds: request.instanceIds,
    });
  }

  /** `approverGroup`: the user group through which the decider is an approver, null when listed by their own ID. */
  async decided(request: HbrRequest, approverGroup: string | null = null): Promise<void> {
    const { decision } = request;
    if (decision === null) return;
    this.metrics.decisions.inc({ outcome: decision.outcome });
    await this.audit.record({
      type: 'request.decided',
      requestId: request.id,
      operation: request.operation,
      actor: decision.by,
      outcome: decision.outcome,
      approverGroup,
    });
  }

  /** Someone was refused at a command or a button: not an approver, their own request, a channel or a requester list. */
  async accessRefused(attempt: RefusedAttempt): Promise<void> {
    await this.audit.record({ type: 'access.refused', ...attempt });
  }

  async submitted(request: HbrRequest, submission: Submission): Promise<void> {
    await this.audit.record({
      type: 'request.submitted',
      requestId: request.id,
      operation: request.operation,
      taskIds: submission.taskId === null ? [] : [submission.taskId],
      hbrRequestIds: submission.hbrRequestId === '' ? [] : [submission.hbrRequestId],
      instanceIds: submission.instanceIds,
      refused: submission.instances.filter((instance) => !instance.valid).length,
    });
  }

  async refused(request: HbrRequest, refusal: ApprovalRefusal): Promise<void> {
    await this.audit.record({
      type: 'request.refused',
      requestId: request.id,
      operation: request.operation,
      actor: 'by' in refusal ? refusal.by : null,
      reason: refusal.reason,
    });
  }

  sweepSkipped(): void {
    this.metrics.sweepSkipped.inc();
  }

  /** Called once per request, by whoever moved it to its final status. */
  async finished(request: HbrRequest): Promise<void> {
    const outcomes = instanceOutcomes(request);
    const summary = summarize(outcomes);
    for (const { kind, count } of summary.tally) {
      this.metrics.instanceOutcomes.inc({ operation: request.operation, outcome: kind }, count);
    }
    await this.audit.record({
      type: 'request.finished',
      requestId: request.id,
      operation: request.operation,
      status: request.status,
      summary: this.summaryLine(summary, request.operation),
      outcomes: Object.fromEntries(summary.tally.map(({ kind, count }) => [kind, count])),
      failedInstanceIds: outcomes.filter((o) => o.kind !== 'succeeded').map((o) => o.instanceId),
      failureCode: request.failure?.code ?? null,
      hbrRequestIds: [
        ...request.submissions.map((s) => s.hbrRequestId).filter((id) => id !== ''),
        ...(request.failure?.hbrRequestId ? [request.failure.hbrRequestId] : []),
      ],
    });
  }
}
