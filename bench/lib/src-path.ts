/**
 * Where the servers load hbr-bot from: ../../src by default, or the `src` directory named by
 * HBR_BENCH_SRC, so a patched copy can be measured with the same bench (A/B of a fix):
 *   HBR_BENCH_SRC=/tmp/hbr-patched/src npm run bench
 * (the copy must be able to resolve this project's node_modules, e.g. through a symlink).
 */
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const DEFAULT_SRC = fileURLToPath(new URL('../../src/', import.meta.url));

export function srcDir(): string {
  const override = process.env.HBR_BENCH_SRC;
  if (override === undefined || override === '') return DEFAULT_SRC;
  return isAbsolute(override) ? override : resolve(process.cwd(), override);
}

/** Imports `relative` (e.g. 'bot.js') from the hbr-bot sources under test. */
export async function importSrc<T>(relative: string): Promise<T> {
  return (await import(pathToFileURL(resolve(srcDir(), relative)).href)) as T;
}
