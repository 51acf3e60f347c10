/**
 * Builds the Bolt app: HTTP mode (Slack requests at POST /slack/events, verified with the signing
 * secret) or Socket Mode when an app-level token is set. Custom routes (health) are served on the
 * same port in both modes.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, type CustomRoute, HTTPReceiver, LogLevel, type Receiver, SocketModeReceiver, webApi } from '@slack/bolt';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import {
  type DeliveryLedger,
  deliveryKeyOf,
  dropRepeatedDeliveries,
  envelopeDeliveryKeyOf,
} from './delivery-ledger.js';
import { guardSlackRequests } from './request-guard.js';
import { slackErrorCode } from './web-api-errors.js';

const SLACK_EVENTS_PATH = '/slack/events';

export interface SlackApp {
  app: App;
  /**
   * Starts serving on `host` (default: every interface; Bolt's Socket Mode receiver always listens on
   * every interface); resolves with the HTTP port actually bound.
   */
  start(host?: string): Promise<number>;
  stop(): Promise<void>;
}

/** Bolt's logger interface on top of pino, so Bolt's own lines are structured too. */
function boltLogger(logger: Logger) {
  const log = logger.child({ component: 'bolt' });
  const join = (parts: unknown[]) => parts.map((p) => (p instanceof Error ? p.message : String(p))).join(' ');
  return {
    debug: (...parts: unknown[]) => log.debug(join(parts)),
    info: (...parts: unknown[]) => log.info(join(parts)),
    warn: (...parts: unknown[]) => log.warn(join(parts)),
    error: (...parts: unknown[]) => log.error(join(parts)),
    setLevel: () => undefined,
    getLevel: () => LogLevel.INFO,
    setName: () => undefined,
  };
}

/** Who the bot is, from auth.test; null when the token could not be verified at start. */
export interface BotIdentity {
  botId: string;
  botUserId: string;
  /** The app's id, when auth.test names it: the bot's messages carry it as `app_id`. */
  appId: string | null;
}

/**
 * Retries for Slack Web API calls, chosen deliberately: the client's default retries 5xx for about
 * 30 minutes, far longer than any poll interval. Here a call gives up after about a minute (the job
 * that made it is retried by BullMQ), while 429s are always waited out (Retry-After is honoured).
 */
export const SLACK_RETRY_POLICY: webApi.RetryOptions = {
  retries: 5,
  factor: 2,
  minTimeout: 1000,
  maxTimeout: 20_000,
  randomize: true,
};

export type SlackFailureListener = (method: string, error: string) => void;

/**
 * The WebClient with every failed call reported (for metrics). Each named method (chat.update, …)
 * is bound to `apiCall` when the client is built, so overriding it in a subclass sees them all.
 */
class ObservedWebClient extends webApi.WebClient {
  private onFailure: SlackFailureListener = () => undefined;

  observe(listener: SlackFailureListener): this {
    this.onFailure = listener;
    return this;
  }

  override async apiCall(method: string, options?: Record<string, unknown>): Promise<webApi.WebAPICallResult> {
    try {
      return await super.apiCall(method, options);
    } catch (error) {
      this.onFailure(method, slackErrorCode(error) ?? 'request_failed');
      throw error;
    }
  }
}

/** The Web API client the bot's own code uses (publisher, directory, token check). */
export function createSlackClient(
  config: Config,
  logger: Logger,
  retryConfig: webApi.RetryOptions = SLACK_RETRY_POLICY,
  onFailure: SlackFailureListener = () => undefined,
): webApi.WebClient {
  return new ObservedWebClient(config.slack.botToken, {
    slackApiUrl: config.slack.apiUrl,
    logger: boltLogger(logger),
    retryConfig,
    rejectRateLimitedCalls: false,
  }).observe(onFailure);
}

/**
 * `ledger`: when given, a delivery seen before is acknowledged and dropped: a request body (a replay,
 * or Slack delivering it again) in HTTP mode, an envelope payload Slack re-sends in Socket Mode
 * (see delivery-ledger.ts).
 */
export function createSlackApp(
  config: Config,
  logger: Logger,
  customRoutes: CustomRoute[],
  identity: BotIdentity | null,
  ledger?: DeliveryLedger,
): SlackApp {
  const log = boltLogger(logger);
  const socketMode = config.slack.appToken !== null;
  const receiver: Receiver = socketMode
    ? new SocketModeReceiver({
        appToken: config.slack.appToken ?? '',
        customRoutes,
        // The receiver hands installerOptions.clientOptions to its apps.connections.open client, which
        // otherwise always calls slack.com whatever SLACK_API_URL says.
        installerOptions: { port: config.slack.port, clientOptions: { slackApiUrl: config.slack.apiUrl } },
        logger: log,
        customPropertiesExtractor: envelopeDeliveryKeyOf,
      })
    : new HTTPReceiver({
        signingSecret: config.slack.signingSecret ?? '',
        endpoints: SLACK_EVENTS_PATH,
        customRoutes,
        logger: log,
        // Listeners ack first and work after, so the HTTP answer goes out at the ack.
        processBeforeResponse: false,
        customPropertiesExtractor: deliveryKeyOf,
      });
  // Bolt refuses stale timestamps and bad signatures; the guard adds future timestamps and content types.
  if (receiver instanceof HTTPReceiver)
    receiver.requestListener = guardSlackRequests(receiver.requestListener, SLACK_EVENTS_PATH, logger);
  const app = new App({
    token: config.slack.botToken,
    receiver,
    logger: log,
    clientOptions: { slackApiUrl: config.slack.apiUrl },
    // The identity was verified with auth.test before the app was built, so Bolt need not call it
    // again; without one, Bolt checks the token on each request (and each request fails, visibly).
    ...(identity === null
      ? { tokenVerificationEnabled: false }
      : { botId: identity.botId, botUserId: identity.botUserId }),
  });
  app.error(async (error) => {
    logger.error({ err: error }, 'unhandled error in a Slack listener');
  });
  if (ledger !== undefined) app.use(dropRepeatedDeliveries(ledger, logger));

  return {
    app,
    async start(host) {
      let server: Server | undefined;
      if (socketMode) {
        // Bolt 5.1's Socket Mode receiver keeps the server of the custom routes private and starts it
        // without waiting: a busy PORT would be an uncaught 'error' event. Wait for it here instead,
        // and read the port it bound (PORT=0 binds any free one).
        server = (receiver as unknown as { httpServer?: Server }).httpServer;
        await startSocketMode(app, server, config.slack.port);
      } else {
        server = (await app.start(
          host === undefined ? config.slack.port : { port: config.slack.port, host },
        )) as Server;
      }
      const address = server?.address();
      return address !== null && typeof address === 'object' ? (address as AddressInfo).port : config.slack.port;
    },
    async stop() {
      await app.stop();
    },
  };
}

/** Starts a Socket Mode app, failing cleanly (connection closed again) when its routes cannot listen. */
async function startSocketMode(app: App, server: Server | undefined, port: number): Promise<void> {
  const listening =
    server === undefined
      ? Promise.resolve()
      : new Promise<void>((resolve, reject) => {
          server.once('listening', resolve);
          server.once('error', reject);
        });
  const connected = app.start();
  connected.catch(() => undefined); // awaited below; handled here so an early failure is not reported as unhandled
  try {
    await listening;
  } catch (error) {
    await connected.catch(() => undefined);
    await app.stop().catch(() => undefined);
    throw new Error(`cannot serve /healthz, /readyz and /metrics on PORT ${port}: ${(error as Error).message}`);
  }
  await connected;
}
