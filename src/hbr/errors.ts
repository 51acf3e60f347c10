/**
 * Error classification for HBR calls, and the sentences an operator reads in Slack.
 *
 * Pure module: no I/O. What @alicloud/openapi-client can throw, and how it is classified, is
 * shared with every Alibaba product the bot calls (src/alibaba/errors.ts); this module adds the
 * HBR error class and the sentences for HBR's own codes (a missing hbr:<Action> permission, tasks,
 * instances).
 *
 * HbrError never carries the original library error: those hold the full request (headers with
 * signatures, security tokens). Only sanitised text is kept.
 */
import { AlibabaApiError, classifyFailure, explainCommonCode, type AlibabaErrorFields } from '../alibaba/errors.js';
import type { InstallSubmission } from './types.js';
import { instanceErrorSentence } from '../domain/outcome.js';

export { isOutcomeUnknownCode, isTransientCode, sanitizeDetail } from '../alibaba/errors.js';

/** Codes this module produces itself (in addition to the codes HBR answers with). */
export type LocalErrorCode =
  | 'NetworkError'
  | 'Timeout'
  | 'BadGateway'
  | 'MalformedResult'
  | 'HttpError'
  | 'InvalidCredentials'
  | 'InvalidInstanceId'
  | 'InvalidRegion'
  | 'Unexpected';

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
    super({ ...init, product: 'HBR', explanation: init.explanation ?? explainErrorCode(init.code, init.action, init.httpStatus ?? null) });
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
      explanation: this.explanation,
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

// ---------------------------------------------------------------------------------------------
// Sentences
// ---------------------------------------------------------------------------------------------

/** One sentence for a whole-call failure with this code (HBR's own codes here, the rest shared). */
export function explainErrorCode(code: string, action: string, httpStatus: number | null = null): string {
  switch (code) {
    case 'Forbidden.RAM':
      return `the AccessKey's RAM user lacks permission hbr:${action} — grant it (see README: RAM permissions)`;
    case 'InvalidTaskId.NotFound':
      return 'HBR knows no such task in this region — check the task ID and the --region';
    case 'CloudAssistNotRunningOnInstance':
    case 'InstanceNotRunning':
    case 'InstanceNotExists':
      // The same words as for one instance: the domain's wording table is the only one.
      return instanceErrorSentence(code);
    case 'MalformedResult':
      return 'HBR answered with a task result the bot cannot read — check the task in the HBR console and report it with the RequestId';
    case 'InvalidInstanceId':
      return 'an instance ID is not of the form i- followed by 8 to 30 lowercase letters or digits — correct it and request again';
    default:
      return explainCommonCode('HBR', code, action, httpStatus);
  }
}
