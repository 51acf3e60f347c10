/**
 * The audit trail's read side (src/ops/audit.ts, AuditReader) over a list, for the unit tests.
 */
import type { AuditRecord } from '../../../src/domain/audit-event.js';
import type { AuditReader } from '../../../src/slack/listeners/deps.js';
import { CallRecorder } from './call-recorder.js';

export class FakeAuditTrail implements AuditReader {
  readonly recorder = new CallRecorder<'recent'>();

  /** `records`: newest first, as the stream is read. */
  constructor(readonly records: AuditRecord[] = []) {}

  async recent(count: number): Promise<AuditRecord[]> {
    this.recorder.enter('recent');
    return this.records.slice(0, count);
  }
}
