/**
 * A problem the person starting the bot can fix (configuration, Redis down, port taken): `main`
 * prints its message alone, without a stack, and exits 1.
 */
export class StartupError extends Error {
  override name = 'StartupError';
}
