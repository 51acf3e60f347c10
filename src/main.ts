/**
 * Entry point: `npm start`. Reads the environment once, starts the bot, and shuts down cleanly on
 * SIGTERM/SIGINT (Slack stops getting answers first, running jobs finish, connections close).
 *
 * With no Slack variable set (a fresh clone) or HBR_SANDBOX=1 it starts the sandbox instead: the
 * same bot against in-process Slack and HBR stand-ins, driven from a web page (src/sandbox/).
 */
import type { Logger } from 'pino';
import { startHbrBot } from './bot.js';
import { ConfigError, loadConfig, redactedConfig, sandboxRequested } from './config.js';
import { createLogger, usePrettyLogs } from './logger.js';

function loggerAt(level: string): Logger {
  return createLogger(level, undefined, usePrettyLogs(process.env, process.stdout.isTTY === true));
}

/** Stops once on the first SIGTERM/SIGINT, then exits 0 (or 1 when stopping failed). */
function stopOnSignal(stop: () => Promise<void>, logger: Logger): void {
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    stop().then(
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

async function runBot(): Promise<void> {
  const config = loadConfig(process.env);
  const logger = loggerAt(config.logLevel);
  logger.info({ config: redactedConfig(config) }, 'configuration loaded');
  const bot = await startHbrBot(config, { logger });
  stopOnSignal(() => bot.stop(), logger);
}

async function runSandbox(): Promise<void> {
  // Loaded only here: a real deployment never loads the stand-ins or the page.
  const { startSandbox } = await import('./sandbox/sandbox.js');
  let logger: Logger | undefined;
  const sandbox = await startSandbox({
    env: process.env,
    logger: (level) => {
      logger = loggerAt(level);
      return logger;
    },
  });
  process.stdout.write(`${sandbox.banner}\n`);
  stopOnSignal(() => sandbox.stop(), logger ?? loggerAt('warn'));
}

async function main(): Promise<void> {
  try {
    await (sandboxRequested(process.env) ? runSandbox() : runBot());
  } catch (error) {
    // Problems the person starting the bot can fix: one message saying what and how, exit 1.
    if (error instanceof ConfigError || (error instanceof Error && error.name === 'SandboxStartError')) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`hbr-bot failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
