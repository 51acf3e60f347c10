/** Which audit events `/hbr-install audit request|user|instance …` shows. Pure. */
import { describe, expect, it } from 'vitest';
import { type AuditRecord, filterAudit } from '../../../src/domain/audit-event.js';

const [A, B] = ['i-bp1filterfilterfi01', 'i-bp1filterfilterfi02'];

const created = (requestId: string, instanceIds: string[], actor = 'UREQ'): AuditRecord => ({
  type: 'request.created',
  requestId,
  operation: 'install',
  actor,
  channel: 'COPS',
  region: 'cn-hangzhou',
  instances: instanceIds.length,
  instanceIds,
  at: 1,
});
const decided = (requestId: string, actor: string): AuditRecord => ({
  type: 'request.decided',
  requestId,
  operation: 'install',
  actor,
  outcome: 'approved',
  approverGroup: null,
  at: 2,
});
const refused = (actor: string, instanceIds: string[], requestId: string | null = null): AuditRecord => ({
  type: 'access.refused',
  actor,
  channel: 'COTHER',
  attempt: 'install',
  reason: 'channel_not_allowed',
  requestId,
  instanceIds,
  at: 3,
});

describe('filterAudit', () => {
  const records = [
    refused('USTRANGER', [A]),
    decided('rone', 'UAPPROVER'),
    refused('USTRANGER', [], 'rtwo'),
    created('rtwo', [B]),
    created('rone', [A, B]),
  ];

  it('by request: its events and the refusals on its buttons', () => {
    expect(filterAudit(records, { by: 'request', requestId: 'rtwo' })).toEqual([records[2], records[3]]);
  });

  it('by user: what they did', () => {
    expect(filterAudit(records, { by: 'user', userId: 'USTRANGER' })).toEqual([records[0], records[2]]);
  });

  it('by instance: every event naming it and every event of a request that named it, in order', () => {
    expect(filterAudit(records, { by: 'instance', instanceId: A })).toEqual([records[0], records[1], records[4]]);
    expect(filterAudit(records, { by: 'instance', instanceId: B })).toEqual(records.slice(1));
  });

  it('reads events written before instance IDs were recorded', () => {
    const { instanceIds: _, ...older } = created('rold', [A]) as Extract<AuditRecord, { type: 'request.created' }>;
    expect(filterAudit([older as AuditRecord], { by: 'instance', instanceId: A })).toEqual([]);
  });
});
