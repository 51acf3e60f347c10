/**
 * The status command's facts about HBR backup clients: one entry per instance asked about, from
 * what DescribeBackupClients answered: the client HBR lists for it, its health, and whether it is
 * outdated. Pure and without words: slack/messages/status.ts words them.
 */

import { TRANSITIONAL_CLIENT_STATUSES } from './operation.js';

/** The clientStatus / Status values documented for ECS backup clients (hbr-api.md). Others may appear. */
export const KNOWN_CLIENT_STATUSES = [
  'ACTIVATED',
  'INSTALLING',
  'INSTALL_FAILED',
  'NOT_INSTALLED',
  'DEACTIVATED',
  'UNKNOWN',
  'REGISTERED',
  'UPGRADING',
  'UPGRADE_FAILED',
  'UNINSTALLING',
  'UNINSTALL_FAILED',
  'STOPPED',
] as const;

const KNOWN: ReadonlySet<string> = new Set<string>(KNOWN_CLIENT_STATUSES);

/** What DescribeBackupClients says about one client (the HBR edge's BackupClientInfo fits it). */
export interface BackupClientState {
  clientId: string;
  instanceId: string;
  /** The instance's name as HBR lists it; '' when it gave none. */
  instanceName: string;
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

export const CLIENT_HEALTH_ORDER: readonly ClientHealth[] = [
  'protected',
  'busy',
  'problem',
  'unrecognised',
  'no_client',
];

/** One instance's backup client as the status command reports it. */
export interface InstanceClientState {
  instanceId: string;
  /** As HBR lists it; '' when unknown (always for an instance without a client). */
  instanceName: string;
  health: ClientHealth;
  /** Raw Status; '' when the instance has no client. */
  status: string;
  /** ClientVersion; '' when unknown. */
  version: string;
  /** MaxClientVersion; '' when unknown. */
  latestVersion: string;
  /** The client is older than the newest version HBR offers. */
  outdated: boolean;
  /** ms epoch of the client's last heartbeat; null when HBR did not say or there is no client. */
  lastHeartBeatTime: number | null;
}

/** Whether hbr-bot knows this client status. */
export function isKnownClientStatus(status: string): boolean {
  return KNOWN.has(status);
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
  // Stryker disable next-line EqualityOperator: one more round compares 0 with 0, which changes nothing
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    const difference = (left[i] ?? 0) - (right[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

function healthOf(status: string): ClientHealth {
  if (status === 'ACTIVATED') return 'protected';
  if (TRANSITIONAL_CLIENT_STATUSES.has(status)) return 'busy';
  return isKnownClientStatus(status) ? 'problem' : 'unrecognised';
}

/** When HBR lists several clients for one instance: one that is installed, then the latest heard from. */
function preferred(a: BackupClientState, b: BackupClientState): BackupClientState {
  const installed = (c: BackupClientState) => c.status !== 'NOT_INSTALLED';
  if (installed(a) !== installed(b)) return installed(a) ? a : b;
  return (b.lastHeartBeatTime ?? 0) > (a.lastHeartBeatTime ?? 0) ? b : a;
}

function stateOf(instanceId: string, client: BackupClientState | undefined): InstanceClientState {
  if (client === undefined) {
    return {
      instanceId,
      instanceName: '',
      health: 'no_client',
      status: '',
      version: '',
      latestVersion: '',
      outdated: false,
      lastHeartBeatTime: null,
    };
  }
  return {
    instanceId,
    instanceName: client.instanceName,
    health: healthOf(client.status),
    status: client.status,
    version: client.clientVersion,
    latestVersion: client.maxClientVersion,
    outdated: (compareVersions(client.clientVersion, client.maxClientVersion) ?? 0) < 0,
    lastHeartBeatTime: client.lastHeartBeatTime,
  };
}

/** One entry per `instanceIds`, in the same order, whatever order and duplicates HBR answered with. */
export function clientStates(
  instanceIds: readonly string[],
  clients: readonly BackupClientState[],
): InstanceClientState[] {
  const byInstance = new Map<string, BackupClientState>();
  for (const client of clients) {
    const known = byInstance.get(client.instanceId);
    byInstance.set(client.instanceId, known === undefined ? client : preferred(known, client));
  }
  return instanceIds.map((id) => stateOf(id, byInstance.get(id)));
}
