/**
 * Child process: the real hbr-bot, started through its composition root `startHbrBot` with the
 * configuration the bench passes (the same environment variables `npm start` reads). Logs go
 * through the bot's own logger at the configured level into /dev/null, so their cost is counted
 * as in production but nothing is printed.
 */
import { pino } from 'pino';
import type { RunningBot } from '../../src/bot.js';
import { ACCESS_KEY_ID, ACCESS_KEY_SECRET } from '../lib/constants.js';
import { startProfiling, stopProfiling } from '../lib/profile.js';
import { serve, usage } from '../lib/serve.js';
import { importFromCheckout } from '../lib/src-path.js';

const { startHbrBot } = await importFromCheckout<typeof import('../../src/bot.js')>('src/bot.js');
const { loadConfig } = await importFromCheckout<typeof import('../../src/config.js')>('src/config.js');
const { createLogger } = await importFromCheckout<typeof import('../../src/logger.js')>('src/logger.js');

// The default credential chain reads these; metadata look-ups would try the network.
process.env.ALIBABA_CLOUD_ACCESS_KEY_ID = ACCESS_KEY_ID;
process.env.ALIBABA_CLOUD_ACCESS_KEY_SECRET = ACCESS_KEY_SECRET;
process.env.ALIBABA_CLOUD_ECS_METADATA_DISABLED = 'true';

let bot: RunningBot | null = null;

serve(
  {
    async start(env: Record<string, string>) {
      if (bot !== null) throw new Error('already started');
      const config = loadConfig(env);
      const logger = createLogger(
        config.logLevel,
        pino.destination({ dest: process.env.BENCH_BOT_LOG ?? '/dev/null', sync: true }),
      );
      // Experiment knob (not a bot setting): BENCH_JOB_CONCURRENCY overrides the workers' concurrency.
      const concurrency = Number(process.env.BENCH_JOB_CONCURRENCY ?? '');
      bot = await startHbrBot(config, { logger, ...(concurrency > 0 ? { jobs: { concurrency } } : {}) });
      return { port: bot.port, url: bot.url };
    },
    async stop() {
      const running = bot;
      bot = null;
      await running?.stop();
    },
    usage,
    startProfiling,
    stopProfiling,
  },
  async () => {
    await bot?.stop();
  },
);
