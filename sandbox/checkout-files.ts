/**
 * Files of the checkout the sandbox reads at run time (its page, the Slack manifest). The sandbox runs
 * from source (tests, tsx) and compiled (`dist/sandbox/`), so paths start at the checkout's root, the
 * nearest folder upwards that holds package.json.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findCheckoutRoot(start: string): string {
  for (let folder = start; ; folder = dirname(folder)) {
    if (existsSync(join(folder, 'package.json'))) return folder;
    if (dirname(folder) === folder) throw new Error(`no package.json above ${start}`);
  }
}

const CHECKOUT_ROOT = findCheckoutRoot(dirname(fileURLToPath(import.meta.url)));

/** An absolute path from a path relative to the checkout's root, e.g. `manifest.yml`. */
export function checkoutFile(relativePath: string): string {
  return join(CHECKOUT_ROOT, relativePath);
}
