/**
 * What the jobs call outside their own layer, as narrow interfaces: the composition root (bot.ts)
 * hands them implementations from the Slack side and from ops/, which the jobs never import.
 */
import type { AlibabaApiError } from '../alibaba/errors.js';

/**
 * A failed HBR or ECS call in the words a Slack user reads, stored on the request (its failure, its
 * client check, its pre-flight). Implemented by slack/messages/failure-words.ts.
 */
export type ExplainFailure = (error: AlibabaApiError) => string;
