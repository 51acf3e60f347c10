/**
 * Structured JSON logs (pino); human-readable lines (pino-pretty) only on a terminal outside
 * production. Redaction is a second line of defence: secrets are never passed to the logger on
 * purpose, but any field with a secret-like name is masked should one slip through.
 */
import { type Logger, pino } from 'pino';

const REDACTED_PATHS = [
  'token',
  '*.token',
  'botToken',
  '*.botToken',
  'appToken',
  '*.appToken',
  'signingSecret',
  '*.signingSecret',
  'accessKeySecret',
  '*.accessKeySecret',
  'metricsToken',
  '*.metricsToken',
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'password',
  '*.password',
];

export function usePrettyLogs(env: NodeJS.ProcessEnv, isTty: boolean): boolean {
  return isTty && env.NODE_ENV !== 'production';
}

export function createLogger(level: string, destination?: pino.DestinationStream, pretty = false): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'hbr-bot' },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    ...(pretty
      ? { transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss' } } }
      : {}),
  };
  return destination === undefined ? pino(options) : pino(options, destination);
}
