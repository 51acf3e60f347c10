/**
 * The audit trail's read side (src/ops/audit.ts, AuditReader) over a list, for the unit tests.
 */
import { type AuditFilter, type AuditRecord, filterAudit } from '../../../src/domain/audit-event.js';
import type { AuditReader } from '../../../src/slack/listeners/deps.js';
import { CallRecorder } from './call-recorder.js';

export class FakeAuditTrail implements AuditReader {
  readonly recorder = new CallRecorder<'recent'>();

  /** `records`: newest first, as the stream is read. */
  constructor(readonly records: AuditRecord[] = []) {}

  async recent(count: number, filter: AuditFilter | null): Promise<AuditRecord[]> {
    this.recorder.enter('recent');
    return (filter === null ? this.records : filterAudit(this.records, filter)).slice(0, count);
  }
}
