/**
 * The status command's view of HBR backup clients: one entry per instance asked about, from what
 * DescribeBackupClients answered, with the status in words, whether the client is outdated, when it
 * was last heard from and what to do about a problem. Pure: the current time is a parameter.
 *
 * The sentences come from CLIENT_STATUS_SENTENCES (outcome.ts), the table the request results use.
 */

import { timeAgo } from './durations.js';
import { TRANSITIONAL_CLIENT_STATUSES } from './operation.js';
import { CLIENT_STATUS_SENTENCES, clientStatusSentence } from './outcome.js';

/** What DescribeBackupClients says about one client (the HBR edge's BackupClientInfo fits it). */
export interface BackupClientState {
  clientId: string;
  instanceId: string;
  /** Raw Status, e.g. ACTIVATED. */
  status: string;
  clientVersion: string;
  maxClientVersion: string;
  /** ms epoch; null when HBR did not say. */
  lastHeartBeatTime: number | null;
}

/**
 * protected: ACTIVATED; busy: HBR is changing the client; problem: a known status that needs a
 * person; unrecognised: a status hbr-bot does not know; no_client: HBR knows no client there.
 */
export type ClientHealth = 'protected' | 'busy' | 'problem' | 'unrecognised' | 'no_client';

export const CLIENT_HEALTH_ORDER: readonly ClientHealth[] = ['protected', 'busy', 'problem', 'unrecognised', 'no_client'];

export interface ClientProblem {
  /** What the problem is called in a list of hints: "install failed", "outdated client". */
  label: string;
  /** What to do. */
  hint: string;
}

export interface InstanceClientStatus {
  instanceId: string;
  health: ClientHealth;
  /** Raw Status; '' when the instance has no client. */
  status: string;
  /** "protected", "install failed", "no backup client", … */
  words: string;
  /** ClientVersion; '' when unknown. */
  version: string;
  /** MaxClientVersion; '' when unknown. */
  latestVersion: string;
  /** The client is older than the newest version HBR offers. */
  outdated: boolean;
  /** "last heartbeat 3 minutes ago", "no heartbeat reported"; null when there is no client. */
  heartbeat: string | null;
  /** At most one, the most pressing; null when nothing is wrong. */
  problem: ClientProblem | null;
}

export const NO_CLIENT_HINT =
  'HBR knows no backup client on this instance in this region — install one with /hbr-install, or check the --region';

/** "protected" for ACTIVATED, the status in lowercase words for the other known ones. */
export function clientStatusWords(status: string): string {
  if (status === 'ACTIVATED') return 'protected';
  if (Object.hasOwn(CLIENT_STATUS_SENTENCES, status)) return status.toLowerCase().replace(/_/g, ' ');
  return 'unrecognised status';
}

function versionParts(version: string): number[] | null {
  const parts = version.trim().replace(/^v/i, '').split('.');
  const numbers = parts.map((part) => /^\d+/.exec(part)?.[0]);
  if (numbers.length === 0 || numbers.some((n) => n === undefined)) return null;
  return numbers.map(Number);
}

/** <0, 0 or >0 as `a` is older than, the same as, or newer than `b`; null when either is unreadable. */
export function compareVersions(a: string, b: string): number | null {
  const left = versionParts(a);
  const right = versionParts(b);
  if (left === null || right === null) return null;
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    const difference = (left[i] ?? 0) - (right[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

function healthOf(status: string): ClientHealth {
  if (status === 'ACTIVATED') return 'protected';
  if (TRANSITIONAL_CLIENT_STATUSES.has(status)) return 'busy';
  return Object.hasOwn(CLIENT_STATUS_SENTENCES, status) ? 'problem' : 'unrecognised';
}

/** When HBR lists several clients for one instance: one that is installed, then the latest heard from. */
function preferred(a: BackupClientState, b: BackupClientState): BackupClientState {
  const installed = (c: BackupClientState) => c.status !== 'NOT_INSTALLED';
  if (installed(a) !== installed(b)) return installed(a) ? a : b;
  return (b.lastHeartBeatTime ?? 0) > (a.lastHeartBeatTime ?? 0) ? b : a;
}

function statusOf(instanceId: string, client: BackupClientState | undefined, now: number): InstanceClientStatus {
  if (client === undefined) {
    return {
      instanceId,
      health: 'no_client',
      status: '',
      words: 'no backup client',
      version: '',
      latestVersion: '',
      outdated: false,
      heartbeat: null,
      problem: { label: 'no backup client', hint: NO_CLIENT_HINT },
    };
  }
  const health = healthOf(client.status);
  const words = clientStatusWords(client.status);
  const outdated = (compareVersions(client.clientVersion, client.maxClientVersion) ?? 0) < 0;
  let problem: ClientProblem | null = null;
  if (health === 'problem' || health === 'unrecognised') {
    problem = { label: words, hint: clientStatusSentence(client.status) };
  } else if (health === 'protected' && outdated) {
    problem = {
      label: 'outdated client',
      hint: `a newer client (${client.maxClientVersion}) is available — upgrade it from the HBR console`,
    };
  }
  return {
    instanceId,
    health,
    status: client.status,
    words,
    version: client.clientVersion,
    latestVersion: client.maxClientVersion,
    outdated,
    heartbeat: client.lastHeartBeatTime === null ? 'no heartbeat reported' : `last heartbeat ${timeAgo(client.lastHeartBeatTime, now)}`,
    problem,
  };
}

/** One entry per `instanceIds`, in the same order, whatever order and duplicates HBR answered with. */
export function clientStatuses(instanceIds: readonly string[], clients: readonly BackupClientState[], now: number): InstanceClientStatus[] {
  const byInstance = new Map<string, BackupClientState>();
  for (const client of clients) {
    const known = byInstance.get(client.instanceId);
    byInstance.set(client.instanceId, known === undefined ? client : preferred(known, client));
  }
  return instanceIds.map((id) => statusOf(id, byInstance.get(id), now));
}

export interface ClientStatusCount {
  health: ClientHealth;
  words: string;
  count: number;
}

/** How many instances are in each state, grouped by health in CLIENT_HEALTH_ORDER, then by words. */
export function countClientStatuses(statuses: readonly InstanceClientStatus[]): ClientStatusCount[] {
  const counts = new Map<string, ClientStatusCount>();
  for (const s of statuses) {
    const key = `${s.health}\u0000${s.words}`;
    const known = counts.get(key);
    if (known) known.count++;
    else counts.set(key, { health: s.health, words: s.words, count: 1 });
  }
  return [...counts.values()].sort((a, b) => CLIENT_HEALTH_ORDER.indexOf(a.health) - CLIENT_HEALTH_ORDER.indexOf(b.health));
}
