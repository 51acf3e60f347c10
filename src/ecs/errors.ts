/**
 * The ECS error class; classification is shared with every Alibaba product (src/alibaba/errors.ts),
 * and the words for ECS's codes are in slack/messages/failure-words.ts.
 */
import { AlibabaApiError, type AlibabaErrorFields, classifyFailure } from '../alibaba/errors.js';

export class EcsError extends AlibabaApiError {
  override readonly name = 'EcsError';

  constructor(init: AlibabaErrorFields) {
    super({ ...init, product: 'ECS' });
  }
}

/** Classifies whatever a call threw as an EcsError; an EcsError passes through unchanged. */
export function toEcsError(action: string, err: unknown): EcsError {
  if (err instanceof EcsError) return err;
  return new EcsError(classifyFailure(action, err));
}
