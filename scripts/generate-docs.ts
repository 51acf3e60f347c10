/**
 * `npm run docs`: writes what is read off the code into the docs (the reference tables, and the
 * sample thread rendered by the bot's message builders, sample-thread.ts), between
 * `<!-- generated: NAME -->` and `<!-- end generated: NAME -->` markers, so they cannot drift.
 * `npm run docs -- --check` writes nothing and exits 1 when a committed table is stale (the test suite
 * runs the same check).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONFIG_REFERENCE, CONFIG_VARIABLES, EXTERNAL_VARIABLES, schemaDefaults } from '../src/config.js';
import { sampleFinished, samplePending } from './sample-thread.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** The configuration table: every variable of the schema, in its order, then the credentials. */
export function configTable(): string {
  const defaults = schemaDefaults();
  const rows = CONFIG_VARIABLES.map((name) => {
    const { meaning, defaultText } = CONFIG_REFERENCE[name];
    const fromSchema = defaults[name];
    return [`\`${name}\``, meaning, defaultText ?? (fromSchema === undefined ? 'unset' : `\`${fromSchema}\``)];
  });
  const external = EXTERNAL_VARIABLES.map(({ name, meaning, defaultText }) => [name, meaning, defaultText]);
  return table(['variable', 'meaning', 'default'], [...rows, ...external]);
}

/** Each generated block: the file it lives in and its content. */
const BLOCKS: { name: string; file: string; render: () => string }[] = [
  { name: 'config', file: 'README.md', render: configTable },
  { name: 'sample-pending', file: 'docs/architecture.md', render: samplePending },
  { name: 'sample-finished', file: 'docs/architecture.md', render: sampleFinished },
];

/** The files as `npm run docs` would write them (only those with a generated block). */
export function generatedFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const block of BLOCKS) {
    const text = files.get(block.file) ?? readFileSync(join(ROOT, block.file), 'utf8');
    const begin = `<!-- generated: ${block.name} (npm run docs) -->`;
    const end = `<!-- end generated: ${block.name} -->`;
    const from = text.indexOf(begin);
    const to = text.indexOf(end);
    if (from === -1 || to < from) throw new Error(`${block.file} has no "${begin}" … "${end}" markers`);
    files.set(block.file, `${text.slice(0, from + begin.length)}\n${block.render()}\n${text.slice(to)}`);
  }
  return files;
}

/** The files whose committed text differs from what would be generated. */
export function staleFiles(): string[] {
  return [...generatedFiles()]
    .filter(([file, text]) => readFileSync(join(ROOT, file), 'utf8') !== text)
    .map(([file]) => file);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--check')) {
    const stale = staleFiles();
    if (stale.length > 0) {
      process.stderr.write(`Stale generated docs: ${stale.join(', ')}. Run npm run docs.\n`);
      process.exit(1);
    }
  } else {
    for (const [file, text] of generatedFiles()) writeFileSync(join(ROOT, file), text);
  }
}
