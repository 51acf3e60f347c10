/**
 * The ACL user docs/deployment.md tells operators to create is enough for the whole flow: the line
 * is read from the document (so it cannot drift), run on a Redis of the test's own with the test's
 * key prefix, and the bot, logged in as that user, takes a request, installs, uninstalls and reports.
 */
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { APPROVER, type Harness, REQUESTER, startHarness } from '../../support/bot-harness.js';
import { type OwnRedis, startOwnRedis } from '../../support/redis-server.js';
import { waitFor } from '../../support/wait-for.js';

const PASSWORD = 'acl-test-Passw0rd-not-CHANGE-ME';

/** The `ACL SETUSER hbr-bot …` line of docs/deployment.md, as arguments. */
function documentedAcl(): string[] {
  const line = readFileSync('docs/deployment.md', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('ACL SETUSER hbr-bot '));
  if (line === undefined) throw new Error('docs/deployment.md has no "ACL SETUSER hbr-bot" line');
  return line.split(/\s+/).slice(2);
}

let harness: Harness | undefined;
let redis: OwnRedis | undefined;
afterEach(async () => {
  await harness?.close();
  await redis?.destroy();
  harness = undefined;
  redis = undefined;
});

describe('the documented ACL user', () => {
  it('is enough to request, install, uninstall and report, on its own keys only', async () => {
    redis = await startOwnRedis();
    const prefix = `hbracl${Date.now()}`;
    const rules = documentedAcl().map((rule) =>
      rule === '>CHANGE-ME' ? `>${PASSWORD}` : rule === '~hbr:*' ? `~${prefix}:*` : rule,
    );
    expect(rules).toContain(`~${prefix}:*`);
    const admin = new Redis(redis.url);
    expect(await admin.call('ACL', 'SETUSER', ...rules)).toBe('OK');
    await admin.quit();

    harness = await startHarness({
      redis: {
        label: 'ACL user',
        env: { REDIS_URL: redis.url.replace('redis://', `redis://hbr-bot:${PASSWORD}@`) },
        prefix: () => prefix,
      },
      hbr: { pollsToComplete: 2 },
    });
    const h = harness;
    expect(h.prefix).toBe(prefix);
    for (const [command, id] of [
      ['/hbr-install', 'i-bp1aclacl0000000001'],
      ['/hbr-uninstall', 'i-bp1aclacl0000000002'],
    ] as const) {
      if (command === '/hbr-uninstall') h.hbr.seedClient(id);
      await h.slash(command, id);
      const { message, requestId } = await h.waitForRequest(command === '/hbr-install' ? 1 : 2);
      await h.click('approve', requestId, APPROVER);
      await waitFor(() => h.threadReplies(message).find((r) => h.textOf(r).includes(`<@${REQUESTER}>`)), {
        message: `the final reply of ${command}`,
        timeoutMs: 10_000,
      });
    }
    expect(h.hbr.callsOf('InstallBackupClients')).toHaveLength(1);
    expect(h.hbr.callsOf('UninstallBackupClients')).toHaveLength(1);
    expect((await h.ops('/readyz')).status).toBe(200);
    // Nothing the user was refused along the way.
    expect(h.logs.join('')).not.toMatch(/NOPERM|refused CONFIG GET/);
  });
});
