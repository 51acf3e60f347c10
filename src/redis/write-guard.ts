/**
 * Writes that come before an act the bot must not repeat — a request record, a decision, the claim
 * of a chunk before HBR is called, the mark before a reply is posted to Slack — are confirmed
 * durable before the act.
 *
 * Why: Redis replicates asynchronously. In a Sentinel failover the replica is promoted while the old
 * primary still takes writes for a moment (until the sentinels announce the switch and the bot
 * reconnects), and those writes vanish when the old primary rejoins as a replica. A claim lost that
 * way would let a later run call HBR again; a decision lost that way would leave an approved request
 * pending. So, in Sentinel mode, a guarded write counts only when the sentinels report no failover
 * under way, name the node the bot wrote to as primary, and every healthy replica they list has
 * acknowledged it (WAIT). Otherwise the caller treats Redis as unavailable for the moment: the user
 * is told to try again, the job tries again later.
 *
 * One node and Cluster: nothing to confirm here (a managed Redis replicates behind its proxy, and the
 * bot's Cluster keys live on one master; see docs/deployment.md for what each topology guarantees).
 */
import { Redis } from 'ioredis';
import type { RedisTarget } from '../config.js';
import type { RedisConnection } from './connections.js';

const SENTINEL_ANSWER_MS = 500;
const REPLICA_ACK_MS = 1000;

/** A guarded write that could not be confirmed durable: Redis is, for the moment, unavailable for it. */
export class UnconfirmedWriteError extends Error {
  override name = 'UnconfirmedWriteError';
}

export interface WriteGuard {
  /** Whether the connection's writes so far would survive a failover now; false when that cannot be told. */
  confirm(connection: RedisConnection): Promise<boolean>;
  /** For readiness: null, or why guarded writes are refused now (a failover under way). */
  problem(connection: RedisConnection): Promise<string | null>;
  close(): void;
}

/** The guard for a target: the sentinels' view in Sentinel mode, nothing to confirm otherwise. */
export function createWriteGuard(target: RedisTarget): WriteGuard {
  if (target.mode !== 'sentinel') return { confirm: async () => true, problem: async () => null, close() {} };
  return new SentinelWriteGuard(target);
}

type SentinelTarget = Extract<RedisTarget, { mode: 'sentinel' }>;

/** What the sentinels that answered say about the primary. */
interface SentinelView {
  failoverUnderWay: boolean;
  /** The run ids of the primary the sentinels name (one unless they disagree). */
  primaryRunIds: Set<string>;
  /** The most healthy replicas any sentinel lists: each must acknowledge a guarded write. */
  replicas: number;
}

/** A flat [field, value, …] answer as an object. */
function fields(answer: unknown): Record<string, string> {
  const flat = Array.isArray(answer) ? answer.map(String) : [];
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i] as string] = flat[i + 1] as string;
  return out;
}

class SentinelWriteGuard implements WriteGuard {
  private readonly sentinels: Redis[];

  constructor(private readonly target: SentinelTarget) {
    this.sentinels = target.sentinels.map((node) => {
      const client = new Redis({
        host: node.host,
        port: node.port,
        connectionName: 'hbr-write-guard',
        ...(target.sentinelPassword === null ? {} : { password: target.sentinelPassword }),
        ...(target.tls ? { tls: {} } : {}),
        maxRetriesPerRequest: 0,
        commandTimeout: SENTINEL_ANSWER_MS,
        enableReadyCheck: false,
        retryStrategy: (attempt: number) => Math.min(100 * attempt, 2000),
      });
      client.on('error', () => undefined); // a sentinel that does not answer is left out of the view
      return client;
    });
  }

  async confirm(connection: RedisConnection): Promise<boolean> {
    const view = await this.view();
    if (view === null || view.failoverUnderWay) return false;
    if (!(await this.isNamedPrimary(connection, view))) return false;
    if (view.replicas === 0) return true;
    const acknowledged = Number(await connection.call('WAIT', String(view.replicas), String(REPLICA_ACK_MS)));
    return acknowledged >= view.replicas;
  }

  async problem(connection: RedisConnection): Promise<string | null> {
    const view = await this.view().catch(() => null);
    if (view === null) return 'redis-sentinel: no sentinel answers';
    if (view.failoverUnderWay) return 'redis-sentinel: failover under way';
    if (!(await this.isNamedPrimary(connection, view).catch(() => true)))
      return 'redis-sentinel: connected to a node the sentinels no longer name as primary';
    return null;
  }

  close(): void {
    for (const sentinel of this.sentinels) sentinel.disconnect();
  }

  /** The node this connection writes to is the one the sentinels name (by run id, so NAT does not matter). */
  private async isNamedPrimary(connection: RedisConnection, view: SentinelView): Promise<boolean> {
    if (view.primaryRunIds.size === 0) return true;
    if (view.primaryRunIds.size > 1) return false;
    const info = await connection.info('server');
    const runId = /^run_id:(\w+)/m.exec(info)?.[1];
    return runId !== undefined && view.primaryRunIds.has(runId);
  }

  private async view(): Promise<SentinelView | null> {
    const answers = await Promise.allSettled(
      this.sentinels.map(async (sentinel) => {
        const [primary, replicas] = await Promise.all([
          sentinel.call('SENTINEL', 'MASTER', this.target.name),
          sentinel.call('SENTINEL', 'REPLICAS', this.target.name),
        ]);
        return { primary: fields(primary), replicas: (Array.isArray(replicas) ? replicas : []).map(fields) };
      }),
    );
    const views = answers.flatMap((answer) => (answer.status === 'fulfilled' ? [answer.value] : []));
    if (views.length === 0) return null;
    const flagged = (flags: string | undefined, ...names: string[]) =>
      (flags ?? '').split(',').some((flag) => names.includes(flag));
    return {
      // The sentinel leading a failover flags the primary, and the replica it promotes, from before the promotion.
      failoverUnderWay: views.some(
        (v) =>
          flagged(v.primary.flags, 'failover_in_progress', 'o_down') ||
          v.replicas.some((replica) => flagged(replica.flags, 'promoted')),
      ),
      primaryRunIds: new Set(views.map((v) => v.primary.runid ?? '').filter((id) => id !== '')),
      // Replicas in sync with the primary. One still syncing, or an old primary not yet turned replica
      // (it reports itself primary), holds nothing to wait for and could not be promoted with our writes.
      replicas: Math.max(
        ...views.map(
          (v) =>
            v.replicas.filter(
              (replica) =>
                !flagged(replica.flags, 's_down', 'o_down', 'disconnected') &&
                replica['role-reported'] !== 'master' &&
                replica['master-link-status'] === 'ok',
            ).length,
        ),
      ),
    };
  }
}
