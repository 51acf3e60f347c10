/**
 * Run by `npm run mutate` after Stryker: the mutation score of each folder of the core, read from
 * reports/mutation/mutation.json, against the targets of issue #23 (85 % for src/domain, 75 % elsewhere).
 * It reports and never fails: the score is a measure to act on, not a gate.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const REPORT = fileURLToPath(new URL('../reports/mutation/mutation.json', import.meta.url));

/** Statuses that count, as Stryker counts them: compile errors and ignored mutants are left out. */
const DETECTED = new Set(['Killed', 'Timeout']);
const UNDETECTED = new Set(['Survived', 'NoCoverage']);

function targetOf(folder: string): number {
  return folder === 'src/domain' ? 85 : 75;
}

/** The folder a file is scored under: its first two path segments (src/slack/listeners/… is src/slack). */
function folderOf(file: string): string {
  return file.split('/').slice(0, 2).join('/');
}

interface MutationReport {
  files: Record<string, { mutants: Array<{ status: string }> }>;
}

interface FolderScore {
  folder: string;
  detected: number;
  undetected: number;
  /** null when no mutant of the folder counts (all ignored or not compiling). */
  score: number | null;
}

function folderScores(report: MutationReport): FolderScore[] {
  const counts = new Map<string, { detected: number; undetected: number }>();
  for (const [file, { mutants }] of Object.entries(report.files)) {
    const folder = folderOf(file);
    const count = counts.get(folder) ?? { detected: 0, undetected: 0 };
    for (const { status } of mutants) {
      if (DETECTED.has(status)) count.detected++;
      if (UNDETECTED.has(status)) count.undetected++;
    }
    counts.set(folder, count);
  }
  return [...counts]
    .map(([folder, { detected, undetected }]) => ({
      folder,
      detected,
      undetected,
      score: detected + undetected === 0 ? null : (100 * detected) / (detected + undetected),
    }))
    .sort((a, b) => a.folder.localeCompare(b.folder));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const report = JSON.parse(readFileSync(REPORT, 'utf8')) as MutationReport;
  process.stdout.write('\nMutation score per folder (killed or timed out / all but ignored and compile errors)\n');
  for (const { folder, detected, undetected, score } of folderScores(report)) {
    const target = targetOf(folder);
    const verdict = score === null ? 'no mutants' : score >= target ? 'ok' : `below ${target} %`;
    const shown = score === null ? '-' : score.toFixed(2);
    process.stdout.write(
      `  ${folder.padEnd(14)} ${shown.padStart(6)} %  ${String(detected).padStart(4)} detected, ${String(undetected).padStart(3)} undetected  ${verdict}\n`,
    );
  }
}
