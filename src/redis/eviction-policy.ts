/**
 * Redis must never evict the bot's keys: an evicted request record or delayed poll is an approved
 * request lost in silence (HBR tasks nobody polls, a requester who never hears back). So the bot asks
 * every data node for its `maxmemory-policy` at start and on every readiness check, and is not ready
 * unless it is `noeviction`. A managed Redis that refuses CONFIG GET (ApsaraDB for Redis, Tair and
 * others rename or forbid it) is noted once in the log, and trusted.
 */
import type { Logger } from 'pino';
import { dataNodes, nodeAddress, type RedisConnection } from './connections.js';

const ANSWER_WITHIN_MS = 1000;

/** An error Redis answered (ERR unknown command, NOPERM, …), as opposed to no answer at all. */
function isReplyError(error: unknown): error is Error {
  return error instanceof Error && error.name === 'ReplyError';
}

export class EvictionPolicyCheck {
  private refusalLogged = false;

  constructor(
    private readonly connection: RedisConnection,
    private readonly logger: Logger,
  ) {}

  /**
   * null when every data node reports `noeviction` (or refuses to say), else the reason readiness
   * lists, e.g. `redis-eviction-policy: allkeys-lru` (the nodes, by address, only in the log). A
   * Redis that does not answer is left to the PING check (null here).
   */
  async problem(): Promise<string | null> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), ANSWER_WITHIN_MS);
    });
    try {
      return await Promise.race([this.ask(), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** At start: says in the log, once, what readiness will say. */
  async logAtStart(): Promise<void> {
    const problem = await this.problem();
    if (problem !== null) {
      this.logger.error(
        { reason: problem },
        'Redis may evict keys (maxmemory-policy is not noeviction): requests and delayed polls could vanish; /readyz answers 503 until it is set to noeviction',
      );
    }
  }

  private async ask(): Promise<string | null> {
    const evicting: Array<{ policy: string; node: string }> = [];
    const nodes = dataNodes(this.connection);
    for (const node of nodes) {
      let policy: string | undefined;
      try {
        const answer: unknown = await node.config('GET', 'maxmemory-policy');
        policy = Array.isArray(answer) && typeof answer[1] === 'string' ? answer[1] : undefined;
      } catch (error) {
        if (!isReplyError(error)) return null;
        this.noteRefusal(error.message);
        continue;
      }
      if (policy === undefined) this.noteRefusal('no maxmemory-policy in the answer');
      else if (policy !== 'noeviction') evicting.push({ policy, node: nodeAddress(node) });
    }
    if (evicting.length === 0) return null;
    // /readyz names the policy, never a node's address: which node is the log's to say.
    this.logger.warn({ reason: 'redis-eviction-policy', nodes: evicting }, 'not ready: Redis may evict keys');
    return `redis-eviction-policy: ${[...new Set(evicting.map((e) => e.policy))].join(', ')}`;
  }

  private noteRefusal(why: string): void {
    if (this.refusalLogged) return;
    this.refusalLogged = true;
    this.logger.warn(
      { err: why },
      'Redis refused CONFIG GET maxmemory-policy (a managed Redis?): make sure its eviction policy is noeviction; not checking it',
    );
  }
}
