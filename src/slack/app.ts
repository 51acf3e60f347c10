/**
 * Builds the Bolt app: HTTP mode (Slack requests at POST /slack/events, verified with the signing
 * secret) or Socket Mode when an app-level token is set. Custom routes (health) are served on the
 * same port in both modes.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, HTTPReceiver, LogLevel, SocketModeReceiver, type CustomRoute, type Receiver } from '@slack/bolt';
import type { Logger } from 'pino';
import type { Config } from '../config.js';

export const SLACK_EVENTS_PATH = '/slack/events';

export interface SlackApp {
  app: App;
  /** Starts serving; resolves with the HTTP port actually bound. */
  start(): Promise<number>;
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

export function createSlackApp(config: Config, logger: Logger, customRoutes: CustomRoute[]): SlackApp {
  const log = boltLogger(logger);
  const socketMode = config.slack.appToken !== null;
  const receiver: Receiver = socketMode
    ? new SocketModeReceiver({
        appToken: config.slack.appToken ?? '',
        customRoutes,
        installerOptions: { port: config.slack.port },
        logger: log,
      })
    : new HTTPReceiver({
        signingSecret: config.slack.signingSecret ?? '',
        endpoints: SLACK_EVENTS_PATH,
        customRoutes,
        logger: log,
        // Listeners ack first and work after, so the HTTP answer goes out at the ack.
        processBeforeResponse: false,
      });
  const app = new App({
    token: config.slack.botToken,
    receiver,
    logger: log,
    clientOptions: { slackApiUrl: config.slack.apiUrl },
  });
  app.error(async (error) => {
    logger.error({ err: error }, 'unhandled error in a Slack listener');
  });

  return {
    app,
    async start() {
      const started = await app.start(config.slack.port);
      const server = socketMode ? null : (started as Server);
      const address = server?.address();
      return address !== null && typeof address === 'object' ? (address as AddressInfo).port : config.slack.port;
    },
    async stop() {
      await app.stop();
    },
  };
}

export function healthRoute(): CustomRoute {
  return {
    path: '/healthz',
    method: ['GET'],
    handler: (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 'ok' }));
    },
  };
}
