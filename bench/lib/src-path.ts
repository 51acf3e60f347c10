/**
 * Where the servers load hbr-bot from: this checkout by default, or the checkout named by
 * HBR_BENCH_CHECKOUT, so a patched copy can be measured with the same bench (A/B of a fix):
 *   HBR_BENCH_CHECKOUT=/tmp/hbr-patched npm run bench
 * (the copy must be able to resolve this project's node_modules, e.g. through a symlink).
 */
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const DEFAULT_CHECKOUT = fileURLToPath(new URL('../../', import.meta.url));

export function checkoutDir(): string {
  const override = process.env.HBR_BENCH_CHECKOUT;
  if (override === undefined || override === '') return DEFAULT_CHECKOUT;
  return isAbsolute(override) ? override : resolve(process.cwd(), override);
}

/** Imports `relative` (e.g. 'src/bot.js', 'sandbox/slack-requests.js') from the checkout under test. */
export async function importFromCheckout<T>(relative: string): Promise<T> {
  return (await import(pathToFileURL(resolve(checkoutDir(), relative)).href)) as T;
}
