/**
 * Reading Slack Web API and response_url failures: whether a thrown value came from Slack, its error
 * code, why a response_url post failed. Pure; the words for them are in messages/failure-words.ts.
 */

const WEB_API_ERROR_CODES = new Set([
  'slack_webapi_platform_error',
  'slack_webapi_request_error',
  'slack_webapi_http_error',
  'slack_webapi_rate_limited_error',
]);

/** Whether the thrown value came from the Slack Web API client (and not from a bug of ours). */
export function isSlackApiError(error: unknown): boolean {
  return (
    typeof error === 'object' && error !== null && WEB_API_ERROR_CODES.has(String((error as { code?: unknown }).code))
  );
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
  const { statusCode, cause, name } = error as {
    statusCode?: unknown;
    cause?: { code?: unknown } | null;
    name?: unknown;
  };
  if (typeof statusCode === 'number') return `HTTP ${statusCode}`;
  if (typeof cause?.code === 'string') return cause.code;
  return typeof name === 'string' ? name : 'unknown';
}
