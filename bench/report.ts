/**
 * The bench's result: every figure next to its floor and target, as rows of one table (printed,
 * and pasted into README.md's "Performance" section), plus the raw per-round data in the JSON.
 */
import os from 'node:os';
import type { BenchOptions } from './lib/context.js';
import type { MachineInfo } from './lib/machine.js';
import type { AckResult } from './suites/ack.js';
import type { EconomyResult } from './suites/economy.js';
import type { PipelineResult } from './suites/pipeline.js';
import type { StartupResult } from './suites/startup.js';

/**
 * The progress reply shows quarter steps (starting, 25 %+, 50 %+, 75 %+, 100 %), so however many polls a
 * task takes, its progress edits add at most this many Slack calls to a request.
 */
const PROGRESS_STEP_EDITS = 4;

export type Status = 'met' | 'MISSED' | '';

export interface Row {
  section: string;
  figure: string;
  bot: string;
  floor: string;
  ratio: string;
  target: string;
  status: Status;
}

export interface Report {
  machine: MachineInfo;
  loadAverageAtEnd: number[];
  src: string;
  elapsedSeconds: number;
  options: Omit<BenchOptions, 'suites'> & { suites: string[] };
  table: Row[];
  targets: Array<{ target: string; status: Status; detail: string }>;
  ack: AckResult | null;
  pipeline: PipelineResult | null;
  /** The ack and pipeline suites again on a Redis Cluster, when the run had one. */
  cluster: ClusterResults | null;
  /** The ack and pipeline figures on one Redis beside the Cluster's. */
  topologies: TopologyRow[];
  economy: EconomyResult | null;
  startup: StartupResult | null;
}

export interface ClusterResults {
  /** "Redis Cluster, 3 masters". */
  label: string;
  ack: AckResult | null;
  pipeline: PipelineResult | null;
}

/** One figure on one Redis beside the same on a Cluster. */
export interface TopologyRow {
  figure: string;
  single: string;
  cluster: string;
  ratio: string;
}

export interface ReportInput {
  machine: MachineInfo;
  options: BenchOptions;
  ack: AckResult | null;
  pipeline: PipelineResult | null;
  cluster: ClusterResults | null;
  economy: EconomyResult | null;
  startup: StartupResult | null;
  elapsedSeconds: number;
  src: string;
}

const ms = (v: number) => (Number.isFinite(v) ? (v >= 100 ? v.toFixed(0) : v.toFixed(1)) : 'n/a');
const x = (v: number) => (Number.isFinite(v) ? `${v.toFixed(2)}×` : 'n/a');
const int = (v: number) => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : 'n/a');
const cpu = (v: number) => (Number.isFinite(v) ? `${(v * 1000).toFixed(0)} µs` : 'n/a');
const kb = (bytes: number) => (Number.isFinite(bytes) ? `${(bytes / 1024).toFixed(2)} KiB` : 'n/a');
const mib = (bytes: number) => (Number.isFinite(bytes) ? (bytes / 2 ** 20).toFixed(1) : 'n/a');
const mb = (bytes: number) => (Number.isFinite(bytes) ? `${(bytes / 2 ** 20).toFixed(0)} MiB` : 'n/a');
const status = (ok: boolean): Status => (ok ? 'met' : 'MISSED');

export function buildReport(input: ReportInput): Report {
  const rows: Row[] = [];
  const targets: Report['targets'] = [];
  const { ack, pipeline, economy, startup } = input;
  const others = (cores: number) => (Number.isFinite(cores) ? `${cores.toFixed(2)} cores` : 'n/a');

  rows.push(...ackRows(ack, '', targets));
  rows.push(...pipelineRows(pipeline, '', targets));
  const cluster = input.cluster;
  if (cluster !== null) {
    const suffix = ` — on a ${cluster.label}`;
    rows.push(...ackRows(cluster.ack, suffix, targets));
    rows.push(...pipelineRows(cluster.pipeline, suffix, targets));
  }

  if (economy !== null) {
    const section = 'Economy (calls counted by the stand-ins)';
    const sizes = [...new Set(economy.requests.map((r) => r.instances))];
    const polls = [...new Set(economy.requests.map((r) => r.pollsToComplete))].sort((a, b) => a - b);
    for (const size of sizes) {
      const of = polls.map((p) => economy.requests.find((r) => r.instances === size && r.pollsToComplete === p)!);
      const growth = economy.growthWithPolls.find((g) => g.instances === size)!;
      rows.push({
        section,
        figure: `Slack Web API calls + response_url posts per request, ${size} instance${size === 1 ? '' : 's'} (tasks done after ${polls.join(' / ')} polls)`,
        bot: of.map((r) => `${r.slackCallsTotal}+${r.responseUrlPosts}`).join(' / '),
        floor: '',
        ratio: '',
        target: `≤ fewest-polls calls + ${PROGRESS_STEP_EDITS}`,
        status: status(growth.extraSlackCalls <= PROGRESS_STEP_EDITS),
      });
    }
    const all = economy.requests;
    const exact = all.every(
      (r) => r.describeTaskPerTask.max === r.pollsToComplete && r.describeTaskPerTask.mean === r.pollsToComplete,
    );
    rows.push({
      section,
      figure: `DescribeTask calls per task (tasks done after ${polls.join(' / ')} polls)`,
      bot: polls
        .map((p) => ms(Math.max(...all.filter((r) => r.pollsToComplete === p).map((r) => r.describeTaskPerTask.max))))
        .join(' / '),
      floor: polls.join(' / '),
      ratio: '',
      target: '= polls needed',
      status: status(exact),
    });
    rows.push({
      section,
      figure: 'InstallBackupClients calls per request (1 / 20 / 200 instances)',
      bot: sizes.map((s) => String(all.find((r) => r.instances === s)!.installCalls)).join(' / '),
      floor: sizes.map((s) => String(Math.ceil(s / 20))).join(' / '),
      ratio: '',
      target: '⌈instances / 20⌉',
      status: status(all.every((r) => r.installCalls === Math.ceil(r.instances / 20))),
    });
    const grows = economy.growthWithPolls.filter((g) => g.extraSlackCalls > PROGRESS_STEP_EDITS);
    targets.push({
      target: `Slack Web API calls per request do not grow with the number of polls (at most ${PROGRESS_STEP_EDITS} quarter-step progress edits more than with the fewest polls)`,
      status: status(grows.length === 0),
      detail: economy.growthWithPolls
        .map(
          (g) =>
            `${g.instances} inst: at most ${g.extraSlackCalls >= 0 ? '+' : ''}${g.extraSlackCalls} calls over ${g.fromPolls} to ${g.toPolls} polls`,
        )
        .join('; '),
    });
    if (economy.peak !== null) {
      const peak = economy.peak;
      const peakSection = `Economy, ${peak.requests} concurrent requests (${peak.instancesPerRequest} instances, done after ${peak.pollsToComplete} polls, ${peak.realIntervalMs / 1000} s cadence, time ÷${peak.compression})`;
      const met = peak.peakChatUpdatesPerMinute < peak.limitPerMinute;
      rows.push({
        section: peakSection,
        figure: 'peak chat.update per rolling minute',
        bot: int(peak.peakChatUpdatesPerMinute),
        floor: `${peak.limitPerMinute} (limit)`,
        ratio: x(peak.peakChatUpdatesPerMinute / peak.limitPerMinute),
        target: `< ${peak.limitPerMinute} (Tier 3)`,
        status: status(met),
      });
      rows.push({
        section: peakSection,
        figure: '… request-message edits alone / progress-reply edits alone',
        bot: `${int(peak.peakRequestMessageUpdatesPerMinute)} / ${int(peak.peakProgressUpdatesPerMinute)}`,
        floor: '',
        ratio: '',
        target: '',
        status: '',
      });
      rows.push({
        section: peakSection,
        figure: 'chat.update per request',
        bot: ms(peak.chatUpdatesPerRequest),
        floor: '',
        ratio: '',
        target: '',
        status: '',
      });
      rows.push({
        section: peakSection,
        figure: 'peak Web API calls per rolling minute (all methods)',
        bot: int(peak.peakWebApiCallsPerMinute),
        floor: '',
        ratio: '',
        target: '',
        status: '',
      });
      targets.push({
        target: `peak chat.update rate with ${peak.requests} concurrent requests < ${peak.limitPerMinute}/min`,
        status: status(met),
        detail: `${int(peak.peakChatUpdatesPerMinute)} per rolling minute`,
      });
    }
  }

  const footprint = pipeline?.footprint ?? null;
  if (footprint !== null) {
    const section = `Footprint at ${int(footprint.trackedTasks)} tracked tasks (1 task per request)${input.cluster === null ? '' : ', one Redis'}`;
    rows.push({
      section,
      figure: 'Redis per tracked task (MEMORY USAGE of its keys)',
      bot: kb(footprint.redisBytesPerTask),
      floor: kb(footprint.floorRedisBytesPerJob),
      ratio: x(footprint.redisBytesPerTask / footprint.floorRedisBytesPerJob),
      target: '',
      status: '',
    });
    const kinds = Object.entries(footprint.redisBytesByKind);
    const [first, second, ...rest] = kinds;
    for (const [kind, v] of [first, second].filter((k): k is (typeof kinds)[number] => k !== undefined)) {
      rows.push({
        section,
        figure: `… ${kind}`,
        bot: `${v.perTask.toFixed(0)} B`,
        floor: '',
        ratio: '',
        target: '',
        status: '',
      });
    }
    const restBytes = rest.reduce((sum, [, v]) => sum + v.perTask, 0);
    rows.push({
      section,
      figure: `… ${rest.length} other keys (queue, indexes, events)`,
      bot: `${restBytes.toFixed(0)} B`,
      floor: '',
      ratio: '',
      target: '',
      status: '',
    });
    rows.push({
      section,
      figure: 'Redis per tracked task (INFO used_memory delta)',
      bot: kb(footprint.usedMemoryDeltaPerTask),
      floor: '',
      ratio: '',
      target: '',
      status: '',
    });
    rows.push({
      section,
      figure: 'process RSS',
      bot: mb(footprint.botRssBytes),
      floor: mb(footprint.bareRssBytes),
      ratio: x(footprint.botRssBytes / footprint.bareRssBytes),
      target: '',
      status: '',
    });
    rows.push({
      section,
      figure: 'live JS heap (after a full GC)',
      bot: mb(footprint.botHeapUsedBytes),
      floor: '',
      ratio: '',
      target: '',
      status: '',
    });
  }

  if (startup !== null) {
    // Figures, not targets: the floor column holds the old way (tsx), so the ratio reads after ÷ before.
    const starts = `${startup.roundCount} start${startup.roundCount === 1 ? '' : 's'} of each`;
    const section = `Start-up and memory, ${starts}, medians (hbr-bot: compiled, after; floor: tsx, before)`;
    const { tsx, compiled } = startup.figures;
    rows.push({
      section,
      figure: 'bot start to ready (ms)',
      bot: ms(compiled.readyMs),
      floor: ms(tsx.readyMs),
      ratio: x(compiled.readyMs / tsx.readyMs),
      target: '',
      status: '',
    });
    rows.push({
      section,
      figure: 'bot RSS when idle (MiB)',
      bot: mib(compiled.rssIdleBytes),
      floor: mib(tsx.rssIdleBytes),
      ratio: x(compiled.rssIdleBytes / tsx.rssIdleBytes),
      target: '',
      status: '',
    });
    rows.push({
      section,
      figure: '… with the processes it started (tsx: esbuild)',
      bot: mib(compiled.rssIdleWithChildrenBytes),
      floor: mib(tsx.rssIdleWithChildrenBytes),
      ratio: x(compiled.rssIdleWithChildrenBytes / tsx.rssIdleWithChildrenBytes),
      target: '',
      status: '',
    });
    rows.push({
      section,
      figure: 'CPU used by other processes meanwhile (median)',
      bot: others(startup.othersCores),
      floor: '',
      ratio: '',
      target: '',
      status: '',
    });
  }

  const { suites, ...options } = input.options;
  return {
    machine: input.machine,
    loadAverageAtEnd: os.loadavg().map((l) => Math.round(l * 100) / 100),
    src: input.src,
    elapsedSeconds: Math.round(input.elapsedSeconds * 10) / 10,
    options: { ...options, suites: [...suites] },
    table: rows,
    targets,
    ack,
    pipeline,
    cluster: input.cluster,
    topologies: input.cluster === null ? [] : topologyRows({ label: 'one Redis', ack, pipeline }, input.cluster),
    economy,
    startup,
  };
}

const others = (cores: number) => (Number.isFinite(cores) ? `${cores.toFixed(2)} cores` : 'n/a');

/** The ack rows (and targets), their sections ending in `suffix` (e.g. " — on a Redis Cluster, 3 masters"). */
function ackRows(ack: AckResult | null, suffix: string, targets: Report['targets']): Row[] {
  const rows: Row[] = [];
  if (ack === null) return rows;

  const section = `Ack latency, ${ack.concurrency} concurrent senders, ${int(ack.requestsPerRound)} requests of each kind per round × ${ack.roundCount} rounds, medians${suffix}`;
  for (const figure of ack.figures) {
    const name = figure.kind === 'command' ? 'slash command' : 'button click';
    rows.push({
      section,
      figure: `${name} ack p50 (ms)`,
      bot: ms(figure.bot.p50),
      floor: ms(figure.bare.p50),
      ratio: x(figure.p50Ratio),
      target: '',
      status: '',
    });
    rows.push({
      section,
      figure: `${name} ack p95 (ms)`,
      bot: ms(figure.bot.p95),
      floor: ms(figure.bare.p95),
      ratio: x(figure.bot.p95 / figure.bare.p95),
      target: '',
      status: '',
    });
    const met = figure.p99Ratio <= 1.2 && figure.bot.p99 < 100;
    rows.push({
      section,
      figure: `${name} ack p99 (ms)`,
      bot: ms(figure.bot.p99),
      floor: ms(figure.bare.p99),
      ratio: x(figure.p99Ratio),
      target: '≤ 1.2× bare and < 100 ms',
      status: status(met),
    });
    rows.push({
      section,
      figure: `${name}s per second (closed loop)`,
      bot: int(figure.bot.requestsPerSecond),
      floor: int(figure.bare.requestsPerSecond),
      ratio: x(figure.bot.requestsPerSecond / figure.bare.requestsPerSecond),
      target: '',
      status: '',
    });
    rows.push({
      section,
      figure: `CPU per ${name}, incl. work after the ack`,
      bot: cpu(figure.bot.cpuMsPerRequest),
      floor: cpu(figure.bare.cpuMsPerRequest),
      ratio: x(figure.bot.cpuMsPerRequest / figure.bare.cpuMsPerRequest),
      target: '',
      status: '',
    });
    targets.push({
      target: `${name} ack p99 ≤ 1.2× bare Bolt and < 100 ms${suffix}`,
      status: status(met),
      detail: `${ms(figure.bot.p99)} ms vs ${ms(figure.bare.p99)} ms (${x(figure.p99Ratio)})`,
    });
  }
  rows.push({
    section,
    figure: 'CPU used by other processes meanwhile (median)',
    bot: others(ack.othersCores),
    floor: '',
    ratio: '',
    target: '',
    status: '',
  });
  if (ack.paced !== null) {
    const pacedSection = `Ack latency, open loop at ${ack.paced.rate} requests/s (${int(ack.paced.requests)} of each kind, one round)${suffix}`;
    for (const figure of ack.paced.figures) {
      const name = figure.kind === 'command' ? 'slash command' : 'button click';
      for (const p of ['p50', 'p95', 'p99'] as const) {
        rows.push({
          section: pacedSection,
          figure: `${name} ack ${p} (ms)`,
          bot: ms(figure.bot[p]),
          floor: ms(figure.bare[p]),
          ratio: x(figure.bot[p] / figure.bare[p]),
          target: '',
          status: '',
        });
      }
    }
  }

  return rows;
}

/** The pipeline rows (and targets), their sections ending in `suffix` (e.g. " — on a Redis Cluster, 3 masters"). */
function pipelineRows(pipeline: PipelineResult | null, suffix: string, targets: Report['targets']): Row[] {
  const rows: Row[] = [];
  if (pipeline === null) return rows;

  for (const figure of pipeline.figures) {
    const section = `Poll pipeline, ${int(figure.tasks)} tasks on a ${figure.intervalMs / 1000} s cadence (offered ${int((figure.tasks * 1000) / figure.intervalMs)} polls/s; floor: bare BullMQ step jobs)${suffix}`;
    rows.push({
      section,
      figure: 'polls per second sustained',
      bot: int(figure.bot.pollsPerSecond),
      floor: int(figure.bare.pollsPerSecond),
      ratio: x(figure.bot.pollsPerSecond / figure.bare.pollsPerSecond),
      target: '',
      status: '',
    });
    rows.push({
      section,
      figure: 'poll lag p50 (ms)',
      bot: ms(figure.bot.lagP50),
      floor: ms(figure.bare.lagP50),
      ratio: x(figure.bot.lagP50 / figure.bare.lagP50),
      target: '',
      status: '',
    });
    rows.push({
      section,
      figure: 'poll lag p99 (ms)',
      bot: ms(figure.bot.lagP99),
      floor: ms(figure.bare.lagP99),
      ratio: x(figure.bot.lagP99 / figure.bare.lagP99),
      target: '',
      status: '',
    });
    rows.push({
      section,
      figure: 'worker CPU per poll',
      bot: cpu(figure.bot.cpuMsPerPoll),
      floor: cpu(figure.bare.cpuMsPerPoll),
      ratio: x(figure.cpuPerPollRatio),
      target: '≤ 1.5× bare',
      status: status(figure.cpuPerPollRatio <= 1.5),
    });
    rows.push({
      section,
      figure: 'stand-ins per poll (HBR call / Slack)',
      bot: `${cpu(figure.standIns.hbrCpuMsPerCall)} / ${cpu(figure.standIns.slackCpuMsPerPoll)}`,
      floor: '',
      ratio: '',
      target: '',
      status: '',
    });
    rows.push({
      section,
      figure: 'CPU used by other processes meanwhile (median)',
      bot: others(figure.othersCores),
      floor: '',
      ratio: '',
      target: '',
      status: '',
    });
    targets.push({
      target: `per-poll overhead ≤ 1.5× bare at ${int(figure.tasks)} tasks${suffix}`,
      status: status(figure.cpuPerPollRatio <= 1.5),
      detail: `${cpu(figure.bot.cpuMsPerPoll)} vs ${cpu(figure.bare.cpuMsPerPoll)} CPU per poll (${x(figure.cpuPerPollRatio)})`,
    });
  }
  const slow = pipeline.slowCadence;
  if (slow !== null) {
    const section = `Poll pipeline, ${int(slow.tasks)} tasks on a ${slow.intervalMs / 1000} s cadence (one full cycle)${suffix}`;
    rows.push({
      section,
      figure: 'poll lag p50 (ms)',
      bot: ms(slow.lagP50),
      floor: '',
      ratio: '',
      target: '',
      status: '',
    });
    const met = slow.lagP99 < 1000;
    rows.push({
      section,
      figure: 'poll lag p99 (ms)',
      bot: ms(slow.lagP99),
      floor: '',
      ratio: '',
      target: '< 1000 ms',
      status: status(met),
    });
    rows.push({
      section,
      figure: 'poll lag p99 by sixth of the cycle (ms)',
      bot: slow.lagP99ByDue.map((v) => ms(v)).join(' / '),
      floor: '',
      ratio: '',
      target: '',
      status: '',
    });
    rows.push({
      section,
      figure: 'bot CPU (share of one core)',
      bot: `${(slow.cpuShare * 100).toFixed(0)}%`,
      floor: '',
      ratio: '',
      target: '',
      status: '',
    });
    rows.push({
      section,
      figure: 'CPU used by other processes meanwhile',
      bot: others(slow.othersCores),
      floor: '',
      ratio: '',
      target: '',
      status: '',
    });
    targets.push({
      target: `poll lag p99 < 1 s at ${int(slow.tasks)} tasks on a ${slow.intervalMs / 1000} s cadence${suffix}`,
      status: status(met),
      detail: `${ms(slow.lagP99)} ms over ${int(slow.polls)} polls (${slow.method}${slow.overdueAtEnd > 0 ? `; ${slow.overdueAtEnd} still waiting at the end, counted with their lag so far` : ''})`,
    });
  }

  return rows;
}

/** The ack and pipeline figures on one Redis beside the same figures on the Cluster (hbr-bot only). */
function topologyRows(single: ClusterResults, cluster: ClusterResults): TopologyRow[] {
  const rows: TopologyRow[] = [];
  const add = (figure: string, a: number, b: number, format: (v: number) => string) =>
    rows.push({ figure, single: format(a), cluster: format(b), ratio: x(b / a) });
  for (const kind of ['command', 'click'] as const) {
    const one = single.ack?.figures.find((f) => f.kind === kind);
    const other = cluster.ack?.figures.find((f) => f.kind === kind);
    if (one === undefined || other === undefined) continue;
    const name = kind === 'command' ? 'slash command' : 'button click';
    add(`${name} ack p50 (ms)`, one.bot.p50, other.bot.p50, ms);
    add(`${name} ack p99 (ms)`, one.bot.p99, other.bot.p99, ms);
    add(`${name}s per second (closed loop)`, one.bot.requestsPerSecond, other.bot.requestsPerSecond, int);
    add(`CPU per ${name}, incl. work after the ack`, one.bot.cpuMsPerRequest, other.bot.cpuMsPerRequest, cpu);
  }
  for (const figure of single.pipeline?.figures ?? []) {
    const other = cluster.pipeline?.figures.find((f) => f.tasks === figure.tasks && f.intervalMs === figure.intervalMs);
    if (other === undefined) continue;
    const at = `${int(figure.tasks)} tasks @${figure.intervalMs / 1000} s`;
    add(`polls per second sustained, ${at}`, figure.bot.pollsPerSecond, other.bot.pollsPerSecond, int);
    add(`poll lag p50 (ms), ${at}`, figure.bot.lagP50, other.bot.lagP50, ms);
    add(`poll lag p99 (ms), ${at}`, figure.bot.lagP99, other.bot.lagP99, ms);
    add(`worker CPU per poll, ${at}`, figure.bot.cpuMsPerPoll, other.bot.cpuMsPerPoll, cpu);
  }
  const slowOne = single.pipeline?.slowCadence;
  const slowOther = cluster.pipeline?.slowCadence;
  if (slowOne && slowOther && slowOne.tasks === slowOther.tasks) {
    const at = `${int(slowOne.tasks)} tasks @${slowOne.intervalMs / 1000} s`;
    add(`poll lag p99 (ms), ${at}`, slowOne.lagP99, slowOther.lagP99, ms);
  }
  const footOne = single.pipeline?.footprint;
  const footOther = cluster.pipeline?.footprint;
  if (footOne && footOther)
    add('Redis per tracked task (MEMORY USAGE)', footOne.redisBytesPerTask, footOther.redisBytesPerTask, kb);
  return rows;
}

/** The table as Markdown (readable in a terminal, pasted as is into README.md). */
function renderTable(rows: readonly Row[]): string {
  const lines: string[] = [];
  let section = '';
  const header = ['figure', 'hbr-bot', 'floor', 'hbr-bot ÷ floor', 'target', ''];
  const all = rows.map((r) => [r.figure, r.bot, r.floor, r.ratio, r.target, r.status]);
  const widths = header.map((h, i) => Math.max(h.length, ...all.map((cells) => cells[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  lines.push(line(header));
  lines.push(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const row of rows) {
    if (row.section !== section) {
      section = row.section;
      lines.push(line([`**${section}**`, '', '', '', '', '']));
    }
    lines.push(line([row.figure, row.bot, row.floor, row.ratio, row.target, row.status]));
  }
  return lines.join('\n');
}

/** hbr-bot's ack and pipeline figures on one Redis and on the Cluster, side by side. */
function renderTopologies(rows: readonly TopologyRow[], clusterLabel: string): string {
  const header = ['hbr-bot', 'one Redis', clusterLabel, 'Cluster ÷ one Redis'];
  const all = rows.map((r) => [r.figure, r.single, r.cluster, r.ratio]);
  const widths = header.map((h, i) => Math.max(h.length, ...all.map((cells) => cells[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...all.map(line)].join('\n');
}

export function renderReport(report: Report): string {
  const m = report.machine;
  const out: string[] = [];
  out.push(
    `hbr-bot bench — ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.os}; Node ${m.node}, Redis ${m.redis}, ` +
      `${Object.entries(m.packages)
        .map(([name, version]) => `${name} ${version}`)
        .join(', ')}; commit ${m.commit ?? 'unknown'}; ` +
      `load average at start ${m.loadAverageAtStart.join(' ')}, at end ${report.loadAverageAtEnd.join(' ')}; bot log level ${report.options.logLevel}; ` +
      `src ${report.src}; ${report.elapsedSeconds} s`,
  );
  out.push('');
  out.push(renderTable(report.table));
  out.push('');
  if (report.topologies.length > 0 && report.cluster !== null) {
    out.push(renderTopologies(report.topologies, report.cluster.label));
    out.push('');
  }
  for (const t of report.targets) out.push(`${t.status === 'met' ? 'met   ' : 'MISSED'}  ${t.target}: ${t.detail}`);
  return out.join('\n');
}
