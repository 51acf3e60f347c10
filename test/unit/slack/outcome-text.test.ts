/**
 * One vocabulary for the counts: whatever the outcomes, the headline names every instance once, its
 * parts add up to the instance count, and they say what the breakdown says, word for word. The same
 * for the status answer, where "outdated" only qualifies the state an instance is counted in.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BackupClientState } from '../../../src/domain/client-status.js';
import { OPERATIONS } from '../../../src/domain/operation.js';
import { type InstanceOutcome, OUTCOME_KINDS, summarize } from '../../../src/domain/outcome.js';
import { countsLine, summaryLine } from '../../../src/slack/messages/outcome-text.js';
import { clientStatuses, clientStatusOverview } from '../../../src/slack/messages/status.js';

const kinds = fc.array(fc.constantFrom(...OUTCOME_KINDS), { maxLength: 250 });

function outcomesOf(list: readonly InstanceOutcome['kind'][]): InstanceOutcome[] {
  return list.map((kind, i) => ({
    instanceId: `i-${String(i).padStart(20, '0')}`,
    kind,
    code: '',
    reason: { type: 'waiting' },
  }));
}

/** "3 installed" → ['installed', 3]. */
function countOf(part: string): [string, number] {
  const match = /^(\d+) (.+)$/.exec(part);
  if (match === null) throw new Error(`not a count: ${JSON.stringify(part)}`);
  return [match[2] ?? '', Number(match[1])];
}

/** The headline's counts by label, and the instance count it names. */
function headlineCounts(line: string, pastTense: string): { total: number; counts: Map<string, number> } {
  const running = /^\w+ (?:on|from) (\d+) instances?: (.+)$/.exec(line);
  if (running !== null) {
    return { total: Number(running[1]), counts: new Map((running[2] ?? '').split(', ').map(countOf)) };
  }
  const ended = /^\w+ (?:on|from) (\d+) of (\d+) instances?(?: — (.+))?$/.exec(line);
  if (ended === null) throw new Error(`not a headline: ${line}`);
  const rest = ended[3] === undefined ? [] : ended[3].split(', ').map(countOf);
  const succeeded = Number(ended[1]);
  return {
    total: Number(ended[2]),
    counts: new Map([...(succeeded > 0 ? [[pastTense, succeeded] as [string, number]] : []), ...rest]),
  };
}

/** The breakdown's counts by label: ":white_check_mark: 3 installed · :x: 1 failed". */
function breakdownCounts(line: string): Map<string, number> {
  if (line === 'no instances') return new Map();
  return new Map(line.split(' · ').map((part) => countOf(part.replace(/^:[a-z0-9_]+: /, ''))));
}

const sum = (counts: Map<string, number>) => [...counts.values()].reduce((a, b) => a + b, 0);

describe('headline and breakdown', () => {
  it('for any outcomes, the headline parts sum to the instance count and match the breakdown', () => {
    fc.assert(
      fc.property(kinds, fc.constantFrom(...OPERATIONS), (list, operation) => {
        const summary = summarize(outcomesOf(list));
        const line = summaryLine(summary, operation);
        const breakdown = breakdownCounts(countsLine(summary, operation));
        expect(sum(breakdown)).toBe(list.length);
        if (list.length === 0) {
          expect(line).toBe('No instances');
          return;
        }
        const pastTense = operation === 'install' ? 'installed' : 'uninstalled';
        const headline = headlineCounts(line, pastTense);
        expect(headline.total).toBe(list.length);
        expect(sum(headline.counts)).toBe(list.length);
        expect(headline.counts).toEqual(breakdown);
      }),
      { numRuns: 500 },
    );
  });

  it("says the defect report's cases in counts that add up", () => {
    const line = (list: InstanceOutcome['kind'][]) => summaryLine(summarize(outcomesOf(list)), 'install');
    expect(line(['succeeded', 'refused', 'refused', 'failed'])).toBe(
      'Installed on 1 of 4 instances — 2 refused by HBR, 1 failed',
    );
    expect(line(['refused', 'unknown'])).toBe('Installed on 0 of 2 instances — 1 refused by HBR, 1 unknown');
    expect(countsLine(summarize(outcomesOf(['refused', 'unknown'])), 'install')).toBe(
      ':no_entry_sign: 1 refused by HBR · :grey_question: 1 unknown',
    );
  });
});

describe('status headline', () => {
  const states = ['ACTIVATED', 'STOPPED', 'INSTALL_FAILED', 'INSTALLING', 'NOT_INSTALLED', 'ODD', null] as const;

  it('for any clients, counts every instance once, with "outdated" only qualifying its state', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ state: fc.constantFrom(...states), outdated: fc.boolean() }), { maxLength: 120 }),
        (instances) => {
          const ids = instances.map((_, i) => `i-${String(i).padStart(20, '0')}`);
          const clients: BackupClientState[] = instances.flatMap(({ state, outdated }, i) =>
            state === null
              ? []
              : [
                  {
                    clientId: `c-${i}`,
                    instanceId: ids[i] ?? '',
                    instanceName: '',
                    status: state,
                    clientVersion: outdated ? '2.13.2' : '2.14.0',
                    maxClientVersion: '2.14.0',
                    lastHeartBeatTime: null,
                  },
                ],
          );
          const statuses = clientStatuses(ids, clients, 0);
          const overview = clientStatusOverview(statuses);
          if (ids.length === 0) {
            expect(overview).toBe('no instances');
            return;
          }
          const parts = overview.split(' · ').map((part) => {
            const match = /^(\d+) (.+?)(?: \((\d+) outdated\))?$/.exec(part);
            if (match === null) throw new Error(`not a count: ${part}`);
            return { count: Number(match[1]), words: match[2], outdated: Number(match[3] ?? 0) };
          });
          expect(parts.reduce((total, p) => total + p.count, 0)).toBe(ids.length);
          expect(parts.every((p) => p.outdated <= p.count && p.words !== 'outdated')).toBe(true);
          expect(parts.reduce((total, p) => total + p.outdated, 0)).toBe(statuses.filter((s) => s.outdated).length);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('says "2 protected (2 outdated) · 3 no backup client" for the defect report\'s five instances', () => {
    const ids = ['i-aaaaaaaa1', 'i-aaaaaaaa2', 'i-aaaaaaaa3', 'i-aaaaaaaa4', 'i-aaaaaaaa5'];
    const client = (instanceId: string, clientVersion: string): BackupClientState => ({
      clientId: `c-${instanceId}`,
      instanceId,
      instanceName: '',
      status: 'ACTIVATED',
      clientVersion,
      maxClientVersion: '2.14.0',
      lastHeartBeatTime: null,
    });
    const statuses = clientStatuses(ids, [client('i-aaaaaaaa1', '2.13.2'), client('i-aaaaaaaa2', '2.13.2')], 0);
    expect(clientStatusOverview(statuses)).toBe('2 protected (2 outdated) · 3 no backup client');
  });
});
