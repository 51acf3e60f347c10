/**
 * ECS call failures: the error class and the sentences for ECS's own codes; classification and the
 * sentences every Alibaba product shares are in src/alibaba/errors.ts. The pre-flight look-up shows
 * the explanation as "details unavailable: <explanation>".
 */
import { AlibabaApiError, classifyFailure, explainCommonCode, type AlibabaErrorFields } from '../alibaba/errors.js';

export class EcsError extends AlibabaApiError {
  override readonly name = 'EcsError';

  constructor(init: AlibabaErrorFields) {
    super({ ...init, product: 'ECS', explanation: init.explanation ?? explainEcsErrorCode(init.code, init.action, init.httpStatus ?? null) });
  }
}

/** Classifies whatever a call threw as an EcsError; an EcsError passes through unchanged. */
export function toEcsError(action: string, err: unknown): EcsError {
  if (err instanceof EcsError) return err;
  return new EcsError(classifyFailure(action, err));
}

/** One sentence for a failed ECS call (ECS's own codes here, the rest shared). */
export function explainEcsErrorCode(code: string, action: string, httpStatus: number | null = null): string {
  switch (code) {
    case 'Forbidden.RAM':
    case 'Forbidden':
    case 'NoPermission':
      return `the AccessKey's RAM identity lacks ecs:${action} (optional; see README)`;
    case 'InvalidRegionId.NotFound':
    case 'InvalidRegionId.Malformed':
      return 'ECS does not know this region — check the --region';
    case 'InvalidInstanceId':
      return 'an instance ID is not of the form i- followed by 8 to 30 lowercase letters or digits';
    default:
      return explainCommonCode('ECS', code, action, httpStatus);
  }
}
