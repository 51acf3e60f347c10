/**
 * Everything a harness bot can change in the world, in one comparable value: its requests in Redis,
 * the open-requests index, the audit stream, its jobs, and what it did at Slack and HBR. Two equal
 * footprints mean nothing happened in between (answers to the user through response_url are
 * counted apart: a refusal is allowed to answer).
 */
import type { Harness } from './bot-harness.js';
import { waitFor } from './wait-for.js';

export interface Footprint {
  requests: Record<string, Record<string, string>>;
  open: string[];
  auditEvents: number;
  jobs: string[];
  /** Slack calls that write (reads such as auth.test and user group look-ups are left out). */
  slackWrites: number;
  hbrCalls: number;
}

const SLACK_READS = new Set(['auth.test', 'usergroups.users.list', 'chat.getPermalink']);

/**
 * Waits until nothing the bot does on its own is still under way for these requests: their
 * pre-flight look-ups (which store ECS facts and edit the request message after it is posted) have
 * finished. Take a footprint after this, or the look-up's own writes look like a side effect.
 */
export async function settled(h: Harness, ...requestIds: string[]): Promise<void> {
  if (!h.config.preflight.enabled) return;
  const prefix = h.config.queuePrefix;
  await waitFor(
    async () => {
      const finished = await Promise.all(
        requestIds.map((id) => h.redis.hget(`${prefix}:preflight:preflight-${id}`, 'finishedOn')),
      );
      return finished.every((at) => at !== null) || undefined;
    },
    { message: `pre-flight of ${requestIds.join(', ')} finished`, timeoutMs: 10_000 },
  );
}

export async function footprint(h: Harness): Promise<Footprint> {
  const prefix = h.config.queuePrefix;
  const requests: Footprint['requests'] = {};
  for (const key of (await h.redis.keys(`${prefix}:request:*`)).sort()) requests[key] = await h.redis.hgetall(key);
  const jobs = (await h.redis.keys(`${prefix}:*`))
    .filter((key) => /:(submit|poll|expire):(submit|poll|expire)-r[a-z2-7]{12}$/.test(key))
    .sort();
  return {
    requests,
    open: await h.redis.zrange(`${prefix}:requests:open`, 0, -1),
    auditEvents: await h.redis.xlen(`${prefix}:audit`),
    jobs,
    slackWrites: h.slack.calls.filter((c) => !SLACK_READS.has(c.method)).length,
    hbrCalls: h.hbr.calls.length,
  };
}
