/** Slack Web API and response_url failures turned into words an operator can act on. Pure. */

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

const WEB_API_ERROR_CODES = new Set([
  'slack_webapi_platform_error',
  'slack_webapi_request_error',
  'slack_webapi_http_error',
  'slack_webapi_rate_limited_error',
]);

/** Whether the thrown value came from the Slack Web API client (and not from a bug of ours). */
export function isSlackApiError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && WEB_API_ERROR_CODES.has(String((error as { code?: unknown }).code));
}

/** The `error` code of a Slack Web API failure, if the thrown value carries one. */
export function slackErrorCode(error: unknown): string | null {
  if (typeof error !== 'object' || error === null) return null;
  const data = (error as { data?: unknown }).data;
  if (typeof data === 'object' && data !== null && typeof (data as { error?: unknown }).error === 'string') {
    return (data as { error: string }).error;
  }
  return null;
}

/**
 * Why a response_url post failed, for a log line: its HTTP status, else the network error's code.
 * Never the error's message, which can quote the URL.
 */
export function responseUrlFailure(error: unknown): string {
  if (typeof error !== 'object' || error === null) return 'unknown';
  const { statusCode, cause, name } = error as { statusCode?: unknown; cause?: { code?: unknown } | null; name?: unknown };
  if (typeof statusCode === 'number') return `HTTP ${statusCode}`;
  if (typeof cause?.code === 'string') return cause.code;
  return typeof name === 'string' ? name : 'unknown';
}

export function explainSlackError(code: string | null): string {
  if (code === null) return 'Slack could not be reached';
  return SLACK_ERROR_SENTENCES[code] ?? `Slack answered \`${code}\``;
}
