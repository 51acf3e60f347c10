/**
 * How busy the machine was with other work while the bench measured: CPU time of the whole machine
 * (/proc/stat) minus that of the bench's own processes (/proc/<pid>/stat) and of Redis, in cores.
 * Other developers' test runs share this machine and this Redis; a figure taken while others used
 * a core is not comparable to one taken on a quiet machine, so each window records it.
 * Linux only; elsewhere every figure is NaN.
 */
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100;

export interface CpuSnapshot {
  at: number;
  /** Busy ticks of the whole machine (all cores). */
  busy: number;
  /** Ticks of the given processes. */
  ours: number;
  redis: number;
}

export interface Contention {
  /** Cores' worth of CPU used over the window. */
  machineCores: number;
  benchCores: number;
  redisCores: number;
  othersCores: number;
}

function machineBusy(): number {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal ...
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return fields.reduce((a, b) => a + b, 0) - idle;
}

function processTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of the line, i.e. 12 and 13 after the command name.
    return Number(rest[11]) + Number(rest[12]);
  } catch {
    return 0;
  }
}

let redisPid: number | null | undefined;
function findRedis(): number | null {
  if (redisPid !== undefined) return redisPid;
  redisPid = null;
  try {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === 'redis-server') {
          redisPid = Number(entry);
          break;
        }
      } catch {
        // the process went away
      }
    }
  } catch {
    redisPid = null;
  }
  return redisPid;
}

export function cpuSnapshot(pids: readonly number[]): CpuSnapshot {
  try {
    const redis = findRedis();
    return {
      at: Date.now(),
      busy: machineBusy(),
      ours: pids.reduce((sum, pid) => sum + processTicks(pid), 0),
      redis: redis === null ? 0 : processTicks(redis),
    };
  } catch {
    return { at: Date.now(), busy: Number.NaN, ours: Number.NaN, redis: Number.NaN };
  }
}

/** Between two snapshots taken over the same set of processes. */
export function contention(before: CpuSnapshot, after: CpuSnapshot): Contention {
  const seconds = (after.at - before.at) / 1000;
  const cores = (ticks: number) => ticks / TICKS_PER_SECOND / seconds;
  const machineCores = cores(after.busy - before.busy);
  const benchCores = cores(after.ours - before.ours);
  const redisCores = cores(after.redis - before.redis);
  return { machineCores, benchCores, redisCores, othersCores: Math.max(0, machineCores - benchCores - redisCores) };
}
