/**
 * Start-up and memory: the real bot started as its own process the way production started it
 * before (`node --import tsx src/main.ts`) and after the move to a compiled artifact
 * (`node dist/src/main.js`), timed from spawn until GET /readyz answers 200, and its RSS once idle.
 *
 * The compiled way runs a build made for this run (`tsc -p tsconfig.build.json` into a directory
 * inside the checkout, so node_modules resolves as it does from dist/), removed afterwards. Each tsx
 * start gets an empty transform cache: the old image started every container with an empty /tmp.
 * tsx also runs esbuild as child processes; their RSS is reported beside the bot's own.
 * The Slack and HBR stand-ins run in this process (the bot checks its token with auth.test before it is ready).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { trackChild } from '../lib/child.js';
import { ACCESS_KEY_ID, ACCESS_KEY_SECRET, BOT_TOKEN } from '../lib/constants.js';
import { contention, cpuSnapshot } from '../lib/contention.js';
import { type BenchContext, botEnv, newPrefix } from '../lib/context.js';
import { deletePrefix } from '../lib/redis.js';
import { checkoutDir, importFromCheckout } from '../lib/src-path.js';
import { median } from '../lib/stats.js';
import { delay, until } from '../lib/util.js';

const { startSlackStandIn } =
  await importFromCheckout<typeof import('../../sandbox/slack-api-server.js')>('sandbox/slack-api-server.js');
const { startHbrStandIn } =
  await importFromCheckout<typeof import('../../sandbox/hbr-api-server.js')>('sandbox/hbr-api-server.js');

const run = promisify(execFile);
const TSC = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const READY_POLL_MS = 10;
const READY_TIMEOUT_MS = 60_000;
/** SIGTERM lets running work finish; a bot that has not exited by then is killed and reported. */
const STOP_GRACE_MS = 15_000;

export type StartWay = 'tsx' | 'compiled';

/** The ways compared, "before" first. */
const WAYS: readonly StartWay[] = ['tsx', 'compiled'];

export interface StartupRound {
  way: StartWay;
  round: number;
  /** From spawn until GET /readyz first answered 200, ms. */
  readyMs: number;
  /** VmRSS of the bot when /readyz first answered 200, bytes. */
  rssAtReadyBytes: number;
  /** VmRSS of the bot after `idleMs` more with nothing to do, bytes. */
  rssIdleBytes: number;
  /** The same plus the VmRSS of the processes the bot started (tsx runs esbuild as child processes), bytes. */
  rssIdleWithChildrenBytes: number;
  /** How many processes the bot had started by then. */
  childProcesses: number;
  /** Cores used by processes other than the bench, the bot and Redis while the bot started. */
  othersCores: number;
  /** Exit code after SIGTERM (null: killed after STOP_GRACE_MS). */
  exitCode: number | null;
}

export interface StartupFigure {
  readyMs: number;
  rssAtReadyBytes: number;
  rssIdleBytes: number;
  rssIdleWithChildrenBytes: number;
}

export interface StartupResult {
  roundCount: number;
  idleMs: number;
  /** How long the build (tsc) took, ms; not part of any start. */
  compileMs: number;
  /** Median over the starts of the cores other processes used meanwhile. */
  othersCores: number;
  /** The command line of each way, relative to the checkout. */
  commands: Record<StartWay, string>;
  rounds: StartupRound[];
  /** Medians over the rounds. */
  figures: Record<StartWay, StartupFigure>;
}

/** What the suite needs of the run: it starts its own stand-ins, in this process. */
export type StartupContext = Pick<BenchContext, 'options' | 'tag' | 'redis' | 'redisSetup' | 'prefixes' | 'log'>;

export async function runStartupSuite(ctx: StartupContext): Promise<StartupResult> {
  const { rounds: roundCount, idleMs } = ctx.options.startup;
  const checkout = checkoutDir();
  const buildDir = join(checkout, 'bench', 'results', `build-${randomBytes(4).toString('hex')}`);
  // Ctrl-C ends the run with process.exit, past every finally: the build must not stay behind.
  const removeBuild = () => rmSync(buildDir, { recursive: true, force: true });
  process.once('exit', removeBuild);
  const slack = await startSlackStandIn({ botToken: BOT_TOKEN, usergroups: {} });
  const hbr = await startHbrStandIn({
    accessKeyId: ACCESS_KEY_ID,
    accessKeySecret: ACCESS_KEY_SECRET,
    pollsToComplete: 1,
  });
  try {
    ctx.log(`startup: compiling (tsc -p tsconfig.build.json --outDir ${buildDir})`);
    const compileStarted = performance.now();
    await compile(checkout, buildDir);
    const compileMs = performance.now() - compileStarted;
    const commands: Record<StartWay, string[]> = {
      tsx: ['--import', 'tsx', 'src/main.ts'],
      compiled: [join(buildDir, 'src', 'main.js')],
    };
    const rounds: StartupRound[] = [];
    for (let round = 1; round <= roundCount; round += 1) {
      // Alternating which way starts first spreads a drift of the machine over both.
      const order = round % 2 === 1 ? WAYS : [...WAYS].reverse();
      for (const way of order) {
        const prefix = newPrefix(ctx, `startup-${way}${round}`);
        // An empty TMPDIR per start: tsx keeps its transform cache there, and the old image started
        // every container with an empty /tmp (a restart on a developer machine would find it warm).
        const tmpDir = join(buildDir, `tmp-${way}${round}`);
        mkdirSync(tmpDir, { recursive: true });
        const env = {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? '',
          NODE_ENV: 'production',
          TMPDIR: tmpDir,
          // The default credential chain reads these; metadata look-ups would try the network.
          ALIBABA_CLOUD_ACCESS_KEY_ID: ACCESS_KEY_ID,
          ALIBABA_CLOUD_ACCESS_KEY_SECRET: ACCESS_KEY_SECRET,
          ALIBABA_CLOUD_ECS_METADATA_DISABLED: 'true',
          ...botEnv(
            { options: ctx.options, slackApiUrl: slack.apiUrl, hbrUrl: hbr.url, redisSetup: ctx.redisSetup },
            prefix,
            {
              PORT: String(await freePort()),
            },
          ),
        };
        const measured = await startAndMeasure(commands[way], env, checkout, idleMs);
        await deletePrefix(ctx.redis, prefix);
        rounds.push({ way, round, ...measured });
        ctx.log(
          `startup round ${round}/${roundCount} ${way.padEnd(8)}: ready in ${measured.readyMs.toFixed(0)} ms, ` +
            `RSS ${mib(measured.rssAtReadyBytes)} MiB at ready, ${mib(measured.rssIdleBytes)} MiB idle ` +
            `(${mib(measured.rssIdleWithChildrenBytes)} MiB with ${measured.childProcesses} child process${measured.childProcesses === 1 ? '' : 'es'})` +
            (measured.exitCode === 0 ? '' : `; exit code ${measured.exitCode} after SIGTERM`),
        );
      }
    }
    const of = (way: StartWay) => rounds.filter((r) => r.way === way);
    const figure = (way: StartWay): StartupFigure => ({
      readyMs: median(of(way).map((r) => r.readyMs)),
      rssAtReadyBytes: median(of(way).map((r) => r.rssAtReadyBytes)),
      rssIdleBytes: median(of(way).map((r) => r.rssIdleBytes)),
      rssIdleWithChildrenBytes: median(of(way).map((r) => r.rssIdleWithChildrenBytes)),
    });
    return {
      roundCount,
      idleMs,
      compileMs: Math.round(compileMs),
      othersCores: median(rounds.map((r) => r.othersCores)),
      commands: {
        tsx: `node ${commands.tsx.join(' ')}`,
        compiled: `node ${relative(checkout, commands.compiled.join(' '))}`,
      },
      rounds,
      figures: { tsx: figure('tsx'), compiled: figure('compiled') },
    };
  } finally {
    await Promise.allSettled([slack.close(), hbr.close()]);
    removeBuild();
    process.off('exit', removeBuild);
  }
}

async function compile(checkout: string, outDir: string): Promise<void> {
  try {
    await run(process.execPath, [TSC, '-p', 'tsconfig.build.json', '--outDir', outDir], {
      cwd: checkout,
      maxBuffer: 16 * 2 ** 20,
    });
  } catch (error) {
    // tsc prints its diagnostics on stdout.
    const output = (error as { stdout?: string }).stdout ?? '';
    throw new Error(`tsc -p tsconfig.build.json failed: ${output.trim().slice(-3000) || String(error)}`);
  }
}

/** Spawns `node <args>`, waits for /readyz, reads the RSS at ready and after `idleMs`, then stops it with SIGTERM. */
async function startAndMeasure(
  args: string[],
  env: Record<string, string>,
  cwd: string,
  idleMs: number,
): Promise<Omit<StartupRound, 'way' | 'round'>> {
  const port = Number(env.PORT);
  const before = cpuSnapshot([process.pid]);
  const spawnedAt = performance.now();
  const bot = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  trackChild(bot);
  const output = tailOf(bot);
  const exited = once(bot, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  try {
    await until(
      'the bot to answer GET /readyz with 200',
      async () => {
        if (bot.exitCode !== null)
          throw new Error(`the bot exited with code ${bot.exitCode} before it was ready: ${output()}`);
        return (await readyzStatus(port)) === 200;
      },
      READY_TIMEOUT_MS,
      READY_POLL_MS,
    );
    const readyMs = performance.now() - spawnedAt;
    const pid = bot.pid ?? -1;
    const rssAtReadyBytes = vmRssBytes(pid);
    // The bot and its children are counted with the bench, so only other work shows as contention.
    const { othersCores } = contention(before, cpuSnapshot([process.pid, pid, ...descendantsOf(pid)]));
    await delay(idleMs);
    const rssIdleBytes = vmRssBytes(pid);
    const children = descendantsOf(pid);
    // A child that exited in between reads as NaN and counts as nothing.
    const childrenRss = children.map(vmRssBytes).filter(Number.isFinite);
    const rssIdleWithChildrenBytes = childrenRss.reduce((sum, rss) => sum + rss, rssIdleBytes);
    const exitCode = await stop(bot, exited);
    return {
      readyMs,
      rssAtReadyBytes,
      rssIdleBytes,
      rssIdleWithChildrenBytes,
      childProcesses: children.length,
      othersCores,
      exitCode,
    };
  } finally {
    if (bot.exitCode === null && bot.signalCode === null) bot.kill('SIGKILL');
  }
}

async function stop(
  bot: ChildProcess,
  exited: Promise<[number | null, NodeJS.Signals | null]>,
): Promise<number | null> {
  const timer = setTimeout(() => bot.kill('SIGKILL'), STOP_GRACE_MS);
  bot.kill('SIGTERM');
  const [code] = await exited;
  clearTimeout(timer);
  return code;
}

/** The last few KB the bot wrote (stdout and stderr), for the error when it fails to start. */
function tailOf(child: ChildProcess): () => string {
  let tail = '';
  for (const stream of [child.stdout, child.stderr]) {
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      tail = (tail + chunk).slice(-4000);
    });
  }
  return () => tail.trim();
}

/** The status GET /readyz answers with, 0 while nothing listens yet. */
function readyzStatus(port: number): Promise<number> {
  return new Promise((resolve) => {
    const request = httpGet({ host: '127.0.0.1', port, path: '/readyz', agent: false, timeout: 2000 }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(0));
  });
}

/** VmRSS of a process from /proc (Linux only; NaN elsewhere). */
function vmRssBytes(pid: number): number {
  try {
    const kib = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kib === undefined ? Number.NaN : Number(kib) * 1024;
  } catch {
    return Number.NaN;
  }
}

/** Every process below `root` (Linux only: parent pids from /proc/<pid>/stat; empty elsewhere). */
function descendantsOf(root: number): number[] {
  const childrenOf = new Map<number, number[]>();
  try {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        // The field after the command name (which may hold spaces) is the state, then the parent pid.
        const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        childrenOf.set(parent, [...(childrenOf.get(parent) ?? []), Number(entry)]);
      } catch {
        // the process went away
      }
    }
  } catch {
    return [];
  }
  const found: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    for (const child of childrenOf.get(queue.shift()!) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

/** A port nothing listens on now (the bot's PORT; with PORT=0 the bench could not know where to ask). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
