import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Config } from '../../config.js';
import type { AuditFilter, AuditRecord, RefusedAttempt } from '../../domain/audit-event.js';
import type { HbrRequest } from '../../domain/request.js';
import type { HbrClient } from '../../hbr/client.js';
import type { JobQueues } from '../../jobs/queues.js';
import type { TakeResult } from '../../redis/token-buckets.js';
import type { RequestStore } from '../../store/requests.js';
import type { SlackDirectory } from '../directory.js';
import type { SlackMessage } from '../messages/blocks.js';
import type { RequestPublisher } from '../request-publisher.js';
import type { CommandOutcome } from './commands/types.js';

/** What the listeners report as it happens, for metrics and the audit trail (ops/activity-recorder.ts). */
export interface ListenerActivity {
  command(command: string, outcome: CommandOutcome): void;
  requestCreated(request: HbrRequest): Promise<void>;
  /** `approverGroup`: the user group through which the decider is an approver; null when listed by their own ID. */
  decided(request: HbrRequest, approverGroup: string | null): Promise<void>;
  /** An attempt refused for who or where it came from: an audit event, besides the answer and the log line. */
  accessRefused(attempt: RefusedAttempt): Promise<void>;
}

/** The read side of the audit trail, for `audit` (ops/audit.ts). */
export interface AuditReader {
  /** The newest `count` events `filter` selects (all events when null), newest first. */
  recent(count: number, filter: AuditFilter | null): Promise<AuditRecord[]>;
}

/**
 * Each user's budget of HBR and ECS calls a minute, shared by every process (redis/token-buckets.ts):
 * what keeps one member from using up the account's API quota.
 */
export interface CommandBudget {
  take(userId: string, cost: number): Promise<TakeResult>;
}

/**
 * What the listeners need; built once in the composition root. Of the store, the queues, the
 * publisher and the directory only the methods the listeners call, so the unit tests can hand in
 * small fakes (test/support/fakes/).
 */
export interface ListenerDeps {
  config: Config;
  /** On a fail-fast Redis connection: a Slack handler must never hang on Redis. */
  store: Pick<RequestStore, 'create' | 'get' | 'decide' | 'fail'>;
  queues: Pick<JobQueues, 'scheduleExpiry' | 'enqueuePreflight' | 'enqueueSubmit'>;
  publisher: Pick<
    RequestPublisher,
    'requestChannel' | 'postRequest' | 'permalink' | 'editRequestMessageViaResponseUrl'
  >;
  /** For the status command, which asks HBR directly (read-only, no job). */
  hbr: Pick<HbrClient, 'describeBackupClients'>;
  directory: Pick<SlackDirectory, 'isListed' | 'listing'>;
  activity: ListenerActivity;
  auditTrail: AuditReader;
  commandBudget: CommandBudget;
  now: () => number;
  logger: Logger;
}

/** A reply only the clicking or typing user sees, that never replaces the message it answers. */
export function ephemeral(message: SlackMessage) {
  return { response_type: 'ephemeral' as const, replace_original: false, ...message };
}

/** A short reference tying an error shown to a user to the log line that explains it. */
export function errorReference(): string {
  return `err-${randomBytes(4).toString('hex')}`;
}
