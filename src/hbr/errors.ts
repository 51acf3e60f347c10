/**
 * The HBR error class. Pure module: no I/O. What @alicloud/openapi-client can throw, and how it is
 * classified, is shared with every Alibaba product the bot calls (src/alibaba/errors.ts); the words
 * for HBR's codes are in slack/messages/failure-words.ts.
 *
 * HbrError never carries the original library error: those hold the full request (headers with
 * signatures, security tokens). Only sanitised text is kept.
 */
import { AlibabaApiError, type AlibabaErrorFields, classifyFailure } from '../alibaba/errors.js';
import type { InstallSubmission } from './types.js';

export { isOutcomeUnknownCode, isTransientCode, sanitizeDetail } from '../alibaba/errors.js';

export interface HbrErrorInit extends AlibabaErrorFields {
  /** Install/uninstall calls that had already been accepted when this error stopped a multi-call run. */
  submittedBeforeFailure?: readonly InstallSubmission[];
}

export class HbrError extends AlibabaApiError {
  override readonly name = 'HbrError';
  /**
   * installBackupClients/uninstallBackupClients make one call per 20 IDs. When call N fails, the
   * calls before it were accepted by HBR and their tasks run: they are listed here so the caller can
   * still track them. Empty for every other failure.
   */
  readonly submittedBeforeFailure: readonly InstallSubmission[];

  constructor(init: HbrErrorInit) {
    super({ ...init, product: 'HBR' });
    this.submittedBeforeFailure = init.submittedBeforeFailure ?? [];
  }

  /** A copy of this error that also lists the submissions accepted before it. */
  withSubmittedBeforeFailure(submitted: readonly InstallSubmission[]): HbrError {
    return new HbrError({
      code: this.code,
      action: this.action,
      message: this.message,
      httpStatus: this.httpStatus,
      requestId: this.requestId,
      transient: this.transient,
      outcomeUnknown: this.outcomeUnknown,
      refused: this.refused,
      submittedBeforeFailure: submitted,
    });
  }
}

/**
 * Classifies whatever a call to @alicloud/openapi-client threw (or anything else) as an HbrError.
 * An HbrError passes through unchanged.
 */
export function toHbrError(action: string, err: unknown): HbrError {
  if (err instanceof HbrError) return err;
  return new HbrError(classifyFailure(action, err));
}
