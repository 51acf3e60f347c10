/**
 * Entry point: `npm start`. Reads the environment once, starts the bot, and shuts down cleanly on
 * SIGTERM/SIGINT (Slack stops getting answers first, running jobs finish, connections close).
 */
import { startHbrBot } from './bot.js';
import { ConfigError, loadConfig, redactedConfig } from './config.js';
import { createLogger } from './logger.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  logger.info({ config: redactedConfig(config) }, 'configuration loaded');

  const bot = await startHbrBot(config, { logger });
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    bot.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(`hbr-bot failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
