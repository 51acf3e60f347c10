/**
 * The audit trail: every request, decision and outcome appended to a capped Redis stream
 * (`<prefix>:audit`) and logged as one line, so "who asked for what, who approved it, what
 * happened" can be answered from Slack (`/hbr-install audit`) and from the logs.
 */

import type { Logger } from 'pino';
import type { AuditEvent, AuditRecord } from '../domain/audit-event.js';
import type { RedisConnection } from '../redis/connections.js';

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

  /** The newest `count` events, newest first. */
  async recent(count: number): Promise<AuditRecord[]> {
    const entries = await this.redis.xrevrange(this.key, '+', '-', 'COUNT', count);
    return entries.flatMap(([, fields]) => {
      const index = fields.indexOf('event');
      const json = index >= 0 ? fields[index + 1] : undefined;
      return json === undefined ? [] : [JSON.parse(json) as AuditRecord];
    });
  }
}
