/**
 * The bot as `src/main.ts` starts it, but with the job locks the in-process harness uses (2 s lock,
 * stalled jobs checked every 500 ms) instead of production's 30 s / 15 s, and a chunk claim a dead
 * process left taken for stale after 1.5 s instead of 90 s: after a kill -9, the next process takes
 * over the dead one's jobs within seconds, so a test can kill a process many times.
 */
import { startHbrBot } from '../../src/bot.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';

const config = loadConfig(process.env);
const logger = createLogger(config.logLevel);
const bot = await startHbrBot(config, {
  logger,
  jobs: { lockDurationMs: 2000, stalledIntervalMs: 500, retryBackoffMs: 200, claimStaleMs: 1500 },
});
process.on('SIGTERM', () => {
  bot.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
