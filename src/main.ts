/**
 * Entry point: `npm start`. Reads the environment once, starts the bot, and shuts down cleanly on
 * SIGTERM/SIGINT (Slack stops getting answers first, running jobs finish, connections close).
 *
 * On a developer machine with no Slack variable set (a fresh clone), with `--sandbox` (`npm run
 * sandbox`) or HBR_SANDBOX=1 it starts the sandbox instead: the same bot against in-process Slack,
 * HBR and ECS stand-ins, driven from a web page. The sandbox lives beside `src/` (`sandbox/`) and is
 * loaded by path only here, so the production build and image hold none of it.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { startHbrBot } from './bot.js';
import { loadConfig, redactedConfig, sandboxRequested } from './config.js';
import { createLogger, usePrettyLogs } from './logger.js';
import { StartupError } from './startup-error.js';

/** The sandbox beside this file's folder: `sandbox/` in a checkout, `dist/sandbox/` in a developer build. */
const SANDBOX_FOLDER = new URL('../sandbox/', import.meta.url);

/** What main needs of the sandbox module; checked when it is loaded, since it is loaded by path. */
interface SandboxModule {
  startSandbox(options: {
    env: NodeJS.ProcessEnv;
    logger: (level: string) => Logger;
  }): Promise<{ banner: string; stop(): Promise<void> }>;
}

function isSandboxModule(loaded: unknown): loaded is SandboxModule {
  return (
    typeof loaded === 'object' &&
    loaded !== null &&
    typeof (loaded as { startSandbox?: unknown }).startSandbox === 'function'
  );
}

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
  if (!existsSync(fileURLToPath(SANDBOX_FOLDER))) {
    throw new StartupError(
      'hbr-bot: this build has no sandbox (the production image leaves it out). Set the SLACK_* variables to run the bot, ' +
        'or try the sandbox from a source checkout: npm ci && npm run sandbox',
    );
  }
  // A path held in a variable, so that the production build does not follow it into the sandbox.
  const entry = new URL('sandbox.js', SANDBOX_FOLDER).href;
  const loaded: unknown = await import(entry);
  if (!isSandboxModule(loaded)) throw new Error(`${entry} does not export startSandbox`);
  const { startSandbox } = loaded;
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
    const sandbox = process.argv.includes('--sandbox') || sandboxRequested(process.env);
    await (sandbox ? runSandbox() : runBot());
  } catch (error) {
    // Problems the person starting the bot can fix: one message saying what and how, exit 1.
    if (error instanceof StartupError) {
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
