/**
 * Child process: the ack floor. A Bolt app built by hbr-bot's own `createSlackApp` (so the
 * receiver settings are the bot's: HTTPReceiver, signature check, processBeforeResponse false,
 * logger, and the bot identity from auth.test) with the one command and the approve/reject
 * actions, each of which only acks.
 */
import type { App } from '@slack/bolt';
import { pino } from 'pino';
import { BOT_TOKEN } from '../lib/constants.js';
import { serve, usage } from '../lib/serve.js';
import { importFromCheckout } from '../lib/src-path.js';

interface SlackAppModule {
  createSlackApp: (...args: unknown[]) => { app: App; start(): Promise<number>; stop(): Promise<void> };
  healthRoute?: () => unknown;
}

const slackApp = await importFromCheckout<SlackAppModule>('src/slack/app.js');
const { loadConfig } = await importFromCheckout<typeof import('../../src/config.js')>('src/config.js');
const { createLogger } = await importFromCheckout<typeof import('../../src/logger.js')>('src/logger.js');
const { APPROVE_ACTION, REJECT_ACTION } = await importFromCheckout<
  typeof import('../../src/slack/messages/action-ids.js')
>('src/slack/messages/action-ids.js');

let slack: Awaited<ReturnType<SlackAppModule['createSlackApp']>> | null = null;

/** What the bot learns at start with auth.test (and hands to createSlackApp). */
async function identity(apiUrl: string): Promise<{ botId: string; botUserId: string } | null> {
  const answer = (await (
    await fetch(`${apiUrl}auth.test`, { method: 'POST', headers: { authorization: `Bearer ${BOT_TOKEN}` } })
  ).json()) as {
    ok: boolean;
    bot_id?: string;
    user_id?: string;
  };
  return answer.ok && answer.bot_id && answer.user_id ? { botId: answer.bot_id, botUserId: answer.user_id } : null;
}

serve(
  {
    async start(env: Record<string, string>, command: string) {
      if (slack !== null) throw new Error('already started');
      const config = loadConfig(env);
      const logger = createLogger(config.logLevel, pino.destination({ dest: '/dev/null', sync: true }));
      const routes = slackApp.healthRoute === undefined ? [] : [slackApp.healthRoute()];
      const app = slackApp.createSlackApp(config, logger, routes, await identity(config.slack.apiUrl));
      app.app.command(command, async ({ ack }) => {
        await ack();
      });
      for (const actionId of [APPROVE_ACTION, REJECT_ACTION]) {
        app.app.action(actionId, async ({ ack }) => {
          await ack();
        });
      }
      const port = await app.start();
      slack = app;
      return { port, url: `http://127.0.0.1:${port}` };
    },
    async stop() {
      const running = slack;
      slack = null;
      await running?.stop();
    },
    usage,
  },
  async () => {
    await slack?.stop();
  },
);
