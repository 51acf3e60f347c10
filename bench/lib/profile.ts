/**
 * CPU profiles of a bench server (node:inspector), and a summary of one: self time by function and
 * by where the code lives (hbr-bot's src/, a package in node_modules, Node internals).
 */
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples?: number[];
  timeDeltas?: number[];
  startTime: number;
  endTime: number;
}

let session: Session | null = null;

export async function startProfiling(): Promise<void> {
  session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 500 });
  await session.post('Profiler.start');
}

/** Stops profiling, writes the profile (a .cpuprofile; Chrome DevTools opens it) and returns its summary. */
export async function stopProfiling(file: string): Promise<ProfileSummary> {
  if (session === null) throw new Error('not profiling');
  const { profile } = (await session.post('Profiler.stop')) as unknown as { profile: CpuProfile };
  session.disconnect();
  session = null;
  await writeFile(file, JSON.stringify(profile));
  return summarizeProfile(profile);
}

export interface ProfileSummary {
  totalMs: number;
  byArea: Array<{ area: string; ms: number; share: number }>;
  topFunctions: Array<{ fn: string; where: string; ms: number; share: number }>;
}

function areaOf(url: string): string {
  if (url === '') return '(native/gc/idle)';
  if (url.startsWith('node:')) return 'node internals';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg !== null) return pkg[1]!;
  const src = /\/src\/(.+)$/.exec(url);
  if (src !== null) return `src/${src[1]!.split('/').slice(0, -1).join('/') || '.'}`;
  return url.replace(/^file:\/\//, '');
}

function summarizeProfile(profile: CpuProfile): ProfileSummary {
  const selfUs = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i += 1) {
    selfUs.set(samples[i]!, (selfUs.get(samples[i]!) ?? 0) + (deltas[i] ?? 0));
  }
  const byArea = new Map<string, number>();
  const byFn = new Map<string, { where: string; us: number }>();
  let total = 0;
  for (const node of profile.nodes) {
    const us = selfUs.get(node.id) ?? 0;
    if (us === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') continue;
    total += us;
    const area = areaOf(url);
    byArea.set(area, (byArea.get(area) ?? 0) + us);
    const key = `${functionName || '(anonymous)'} ${url}:${lineNumber + 1}`;
    const entry = byFn.get(key) ?? { where: `${area} ${url.split('/').pop() ?? ''}:${lineNumber + 1}`, us: 0 };
    entry.us += us;
    byFn.set(key, entry);
  }
  const share = (us: number) => (total === 0 ? 0 : us / total);
  return {
    totalMs: total / 1000,
    byArea: [...byArea.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 15)
      .map(([area, us]) => ({ area, ms: us / 1000, share: share(us) })),
    topFunctions: [...byFn.entries()]
      .sort((a, b) => b[1].us - a[1].us)
      .slice(0, 25)
      .map(([key, { where, us }]) => ({ fn: key.split(' ')[0]!, where, ms: us / 1000, share: share(us) })),
  };
}
