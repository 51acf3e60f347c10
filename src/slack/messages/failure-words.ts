/**
 * Failed calls to HBR, ECS and Slack in words an operator acts on: one sentence per failure, saying
 * what to check or do. The errors carry only codes and facts (src/alibaba/errors.ts,
 * slack/web-api-errors.ts); the jobs store these sentences on a request through the composition root.
 */
import type { AlibabaApiError } from '../../alibaba/errors.js';
import type { ApprovalRefusal } from '../../domain/request.js';
import { instanceErrorSentence } from './hbr-sentences.js';

/** The sentence for a failed HBR or ECS call. Never contains secrets: errors carry none. */
export function explainApiFailure(error: AlibabaApiError): string {
  const { code, action, httpStatus, refused } = error;
  const [region] = refused;
  if (code === 'InvalidRegion' && region !== undefined) {
    return `"${region}" is not an Alibaba Cloud region ID (e.g. cn-hangzhou) — correct the --region`;
  }
  if (code === 'InvalidInstanceId' && refused.length > 0) {
    const shown = refused.map((id) => `"${id}"`).join(', ');
    return `${shown} ${refused.length === 1 ? 'is not an ECS instance ID' : 'are not ECS instance IDs'} (i- followed by 8 to 30 lowercase letters or digits) — correct and request again`;
  }
  switch (error.product) {
    case 'HBR':
      return explainHbrErrorCode(code, action, httpStatus);
    case 'ECS':
      return explainEcsErrorCode(code, action, httpStatus);
    default:
      return explainCommonCode(error.product, code, action, httpStatus);
  }
}

/** One sentence for a whole-call failure with this code (HBR's own codes here, the rest shared). */
export function explainHbrErrorCode(code: string, action: string, httpStatus: number | null = null): string {
  switch (code) {
    case 'Forbidden.RAM':
      return `the AccessKey's RAM user lacks permission hbr:${action} — grant it (see README: RAM permissions)`;
    case 'InvalidTaskId.NotFound':
      return 'HBR knows no such task in this region — check the task ID and the --region';
    case 'CloudAssistNotRunningOnInstance':
    case 'InstanceNotRunning':
    case 'InstanceNotExists':
      // The same words as for one instance: hbr-sentences.ts is the only table.
      return instanceErrorSentence(code);
    case 'MalformedResult':
      return 'HBR answered with a task result the bot cannot read — check the task in the HBR console and report it with the RequestId';
    case 'TooManyPages':
      return `HBR kept listing more pages of ${action} than the bot follows — check the instances in the HBR console, or ask about fewer at once`;
    case 'InvalidInstanceId':
      return 'an instance ID is not of the form i- followed by 8 to 30 lowercase letters or digits — correct it and request again';
    default:
      return explainCommonCode('HBR', code, action, httpStatus);
  }
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

/**
 * One sentence for a whole-call failure with a code every Alibaba product answers the same way,
 * worded with the product's name ('HBR', 'ECS'). Products explain their own codes (a missing RAM
 * permission, task and instance codes) first and fall back to this.
 */
function explainCommonCode(product: string, code: string, action: string, httpStatus: number | null = null): string {
  switch (code) {
    case 'SignatureDoesNotMatch':
      return `${product} rejected the request signature — the AccessKey secret does not belong to the AccessKey ID (check ALIBABA_CLOUD_ACCESS_KEY_SECRET) or a proxy altered the request`;
    case 'IncompleteSignature':
    case 'MissingSignature':
      return `${product} could not read the request signature — check that no proxy strips the Authorization header`;
    case 'InvalidAccessKeyId.NotFound':
      return 'Alibaba Cloud does not know this AccessKey ID — check ALIBABA_CLOUD_ACCESS_KEY_ID (or the credentials the bot runs with)';
    case 'InvalidAccessKeyId.Inactive':
      return 'the AccessKey is disabled — enable it in the RAM console or configure an active one';
    case 'InvalidSecurityToken.Expired':
    case 'InvalidSecurityToken.Malformed':
      return 'the STS security token is expired or invalid — refresh the credentials the bot runs with';
    case 'InvalidParameter':
    case 'MissingParameter':
      return `${product} refused the parameters of ${action} — this is a bot bug: report it with the RequestId`;
    case 'InvalidTimeStamp.Expired':
    case 'InvalidTimeStamp.Format':
      return "the bot host's clock is more than 15 minutes off — sync it (NTP) and request again";
    case 'InvalidVersion':
    case 'InvalidAction.NotFound':
      return `${product} does not offer ${action} at this endpoint — check the endpoint configuration and the region`;
    case 'Throttling':
    case 'Throttling.User':
    case 'Throttling.Api':
      return `${product} is throttling this account — wait a minute and request again`;
    case 'ServiceUnavailable':
    case 'InternalError':
      return `${product} is temporarily unavailable — request again in a few minutes`;
    case 'BadGateway':
      return `a gateway in front of ${product} answered with an error page instead of JSON — request again in a few minutes`;
    case 'Timeout':
      return `${product} did not answer in time — check network access to the ${product} endpoint and request again`;
    case 'NetworkError':
      return `the bot could not reach the ${product} endpoint (connection refused, reset or DNS failure) — check network access, proxy and --region, then request again`;
    case 'InvalidCredentials':
      return 'the bot found no Alibaba Cloud credentials — set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET or give the host a RAM role';
    case 'InvalidRegion':
      return 'the region is not a valid Alibaba Cloud region ID (e.g. cn-hangzhou) — correct the --region';
    case 'HttpError':
      return httpStatus !== null && httpStatus >= 500
        ? `${product} answered HTTP ${httpStatus} without an error code — request again in a few minutes`
        : `${product} answered HTTP ${httpStatus ?? '?'} without an error code — check the endpoint configuration`;
    default:
      if (code.startsWith('Throttling'))
        return `${product} is throttling this account — wait a minute and request again`;
      if (httpStatus !== null && httpStatus >= 500) {
        return `${product} failed with ${code} (HTTP ${httpStatus}) — request again in a few minutes`;
      }
      return `${product} refused ${action} with ${code} — look the code up in the ${product} error center and report it with the RequestId`;
  }
}

// ---------------------------------------------------------------------------------------------
// Slack
// ---------------------------------------------------------------------------------------------

const SLACK_ERROR_SENTENCES: Record<string, string> = {
  not_in_channel: 'hbr-bot is not a member of that channel — invite it with `/invite @hbr-bot`',
  channel_not_found: 'hbr-bot cannot see that channel — for a private channel, invite it with `/invite @hbr-bot`',
  is_archived: 'the channel is archived',
  invalid_auth: 'the Slack bot token is invalid — reinstall the app and update SLACK_BOT_TOKEN',
  token_revoked: 'the Slack bot token was revoked — reinstall the app and update SLACK_BOT_TOKEN',
  missing_scope: 'the Slack app lacks a permission scope — reinstall it from manifest.yml',
  no_such_subteam: 'a user group in HBR_APPROVERS or HBR_REQUESTERS does not exist — check the S… IDs',
  ratelimited: 'Slack is rate-limiting hbr-bot — try again in a minute',
  invalid_blocks: 'Slack refused the message layout (a bug in hbr-bot — please report it)',
};

/** The sentence for a failed Slack Web API call, by its `error` code (null: Slack was not reached). */
export function explainSlackError(code: string | null): string {
  if (code === null) return 'Slack could not be reached';
  return SLACK_ERROR_SENTENCES[code] ?? `Slack answered \`${code}\``;
}

/**
 * Why a submit job refused the approval in a request's record: nothing was sent to HBR. Stored as the
 * request's failure, which is shown escaped, so the user is named by ID, not mentioned.
 */
export function explainApprovalRefusal(refusal: ApprovalRefusal): string {
  const nothingSent = 'nothing was sent to HBR; request again and have an approver approve it';
  switch (refusal.reason) {
    case 'no_approval':
      return `the request's record holds no approval, so hbr-bot did not act on it — ${nothingSent}`;
    case 'not_approver':
      return `the request's record says user ${refusal.by} approved it, who is not in HBR_APPROVERS — ${nothingSent}`;
    case 'self_approval':
      return `the request's record says its requester (user ${refusal.by}) approved it, and self-approval is off — ${nothingSent}`;
  }
}
