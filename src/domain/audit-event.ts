import type { Operation } from './operation.js';

/** What the audit trail records: who asked for what, who decided, what HBR was asked, what came of it. */

export type AuditEvent =
  | {
      type: 'request.created';
      requestId: string;
      operation: Operation;
      actor: string;
      channel: string;
      region: string;
      instances: number;
    }
  | {
      type: 'request.decided';
      requestId: string;
      operation: Operation;
      actor: string | null;
      outcome: 'approved' | 'rejected' | 'expired';
    }
  | {
      type: 'request.submitted';
      requestId: string;
      operation: Operation;
      taskIds: string[];
      hbrRequestIds: string[];
      refused: number;
    }
  | {
      /** The submit job refused the approval in the record (written by hand, approver removed since): nothing went to HBR. */
      type: 'request.refused';
      requestId: string;
      operation: Operation;
      /** Who the record says approved, if anyone. */
      actor: string | null;
      reason: 'no_approval' | 'not_approver' | 'self_approval';
    }
  | {
      type: 'request.finished';
      requestId: string;
      operation: Operation;
      status: string;
      summary: string;
      succeeded: number;
      failed: number;
      failureCode: string | null;
      hbrRequestIds: string[];
    };

export type AuditRecord = AuditEvent & { at: number };
