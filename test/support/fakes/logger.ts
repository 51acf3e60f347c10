/**
 * The logger the jobs and listeners are handed: pino, silent, so a unit run prints nothing.
 */
import { type Logger, pino } from 'pino';

export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
