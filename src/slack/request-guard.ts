/**
 * What Bolt's HTTP receiver leaves to the app: it verifies the signature and refuses timestamps more
 * than 5 minutes in the past, but accepts any timestamp in the future. `guardSlackRequests` runs
 * before Bolt reads the body: a POST to the events path whose X-Slack-Request-Timestamp is malformed
 * or more than 5 minutes away from now (either way) gets 401, any content type but Slack's form
 * encoding 415. Bolt then verifies the signature. A byte-identical request delivered again is the
 * delivery ledger's (delivery-ledger.ts).
 *
 * The guard reads the request target exactly as Bolt routes it (the pathname of the URL parsed
 * against a base), so `/slack/./events`, `/x/../slack/events` or an absolute-form target all meet
 * the same checks as `/slack/events`; a target Bolt could not parse is refused with 400.
 */
import type { IncomingHttpHeaders, IncomingMessage, RequestListener } from 'node:http';
import type { Logger } from 'pino';

/** How far a request's timestamp may be from the bot's clock, in either direction. */
export const SLACK_TIMESTAMP_TOLERANCE_SECONDS = 5 * 60;

/**
 * Slash commands and interactivity, all the bot takes, come form-encoded, with exactly this content
 * type (Bolt reads anything else as JSON). The bot subscribes to no Events API (JSON) events.
 */
const SLACK_CONTENT_TYPE = 'application/x-www-form-urlencoded';

function single(headers: IncomingHttpHeaders, name: string): string | null {
  const value = headers[name];
  return typeof value === 'string' ? value : null;
}

/** Why a request to the events path is refused before its body is read, or null. */
function requestProblem(headers: IncomingHttpHeaders, nowMs: number): { status: number; reason: string } | null {
  if (single(headers, 'content-type') !== SLACK_CONTENT_TYPE)
    return { status: 415, reason: 'not the content type Slack sends' };
  // The signature, and a missing timestamp, are Bolt's to check: it lets Slack's unsigned ssl_check through.
  const timestamp = single(headers, 'x-slack-request-timestamp');
  if (timestamp === null) return null;
  if (!/^\d{1,12}$/.test(timestamp)) return { status: 401, reason: 'malformed timestamp' };
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > SLACK_TIMESTAMP_TOLERANCE_SECONDS) {
    return { status: 401, reason: 'timestamp more than 5 minutes from now' };
  }
  return null;
}

/**
 * The method and path Bolt's HTTPReceiver routes a request by (its requestListener does the same
 * `new URL(req.url, 'http://localhost')`), or null when the target does not parse as a URL.
 */
function routedAs(req: IncomingMessage): { method: string; path: string } | null {
  try {
    return { method: (req.method ?? '').toUpperCase(), path: new URL(req.url ?? '/', 'http://localhost').pathname };
  } catch {
    return null;
  }
}

/** Wraps the receiver's listener: refused requests never reach Bolt. */
export function guardSlackRequests(
  listener: RequestListener,
  eventsPath: string,
  logger: Logger,
  now: () => number = Date.now,
): RequestListener {
  return (req, res) => {
    const route = routedAs(req);
    const problem =
      route === null
        ? { status: 400, reason: 'a request target that is not a URL' }
        : route.method === 'POST' && route.path === eventsPath
          ? requestProblem(req.headers, now())
          : null;
    if (problem === null) {
      listener(req, res);
      return;
    }
    logger.warn({ status: problem.status }, `refused a request before Bolt: ${problem.reason}`);
    res.writeHead(problem.status, { connection: 'close' });
    res.end();
    req.resume();
  };
}
