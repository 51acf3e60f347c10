/**
 * The audit trail: every request, decision and outcome appended to a capped Redis stream
 * (`<prefix>:audit`) and logged as one line, so "who asked for what, who approved it, what
 * happened" can be answered from Slack (`/hbr-install audit`) and from the logs.
 */

import type { Logger } from 'pino';
import { type AuditEvent, type AuditFilter, type AuditRecord, filterAudit } from '../domain/audit-event.js';
import type { RedisConnection } from '../redis/connections.js';

/** Entries read from the stream at a time when it is searched. */
const READ_PAGE = 500;

export class AuditTrail {
  constructor(
    private readonly redis: RedisConnection,
    private readonly prefix: string,
    private readonly maxLength: number,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  private get key(): string {
    return `${this.prefix}:audit`;
  }

  /** Logs the event and appends it to the stream; a Redis failure is logged, never thrown. */
  async record(event: AuditEvent): Promise<void> {
    const record: AuditRecord = { ...event, at: this.now() };
    this.logger.info({ audit: record }, `audit ${event.type}`);
    try {
      // `~` lets Redis trim in whole macro-nodes: cheap, and the cap is still respected.
      await this.redis.xadd(this.key, 'MAXLEN', '~', String(this.maxLength), '*', 'event', JSON.stringify(record));
    } catch (error) {
      this.logger.error({ err: error, audit: record }, 'could not append to the audit stream');
    }
  }

  /**
   * The newest `count` events `filter` selects, newest first. A filtered read searches the whole
   * stream (at most HBR_AUDIT_MAX_LENGTH events), since an instance's request is named by its oldest event.
   */
  async recent(count: number, filter: AuditFilter | null): Promise<AuditRecord[]> {
    if (filter === null) return parsed(await this.redis.xrevrange(this.key, '+', '-', 'COUNT', count));
    const all: AuditRecord[] = [];
    let end = '+';
    for (;;) {
      const entries = await this.redis.xrevrange(this.key, end, '-', 'COUNT', READ_PAGE);
      all.push(...parsed(entries));
      const last = entries.at(-1);
      if (entries.length < READ_PAGE || last === undefined) break;
      end = `(${last[0]}`;
    }
    return filterAudit(all, filter).slice(0, count);
  }
}

/** The events of stream entries (each an `event` field holding JSON). */
function parsed(entries: Array<[id: string, fields: string[]]>): AuditRecord[] {
  return entries.flatMap(([, fields]) => {
    const index = fields.indexOf('event');
    const json = index >= 0 ? fields[index + 1] : undefined;
    return json === undefined ? [] : [JSON.parse(json) as AuditRecord];
  });
}
