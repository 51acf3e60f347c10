/** The reference tables in the docs are read off the code: `npm run docs` must have nothing to change. */
import { describe, expect, it } from 'vitest';
import { configTable, staleFiles } from '../../scripts/generate-docs.js';
import { CONFIG_VARIABLES } from '../../src/config.js';

describe('generated docs', () => {
  it('are as npm run docs writes them (run it after changing what they are read from)', () => {
    expect(staleFiles()).toEqual([]);
  });

  it('list every configuration variable with the default the schema fills in', () => {
    const table = configTable();
    for (const name of CONFIG_VARIABLES) expect(table).toContain(`| \`${name}\` |`);
    expect(table).toContain('| `HBR_POLL_INTERVAL_MS` | between later polls | `30000` |');
  });
});
