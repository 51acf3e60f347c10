import { defineConfig } from 'vitest/config';

/**
 * The tests `npm run mutate` runs each mutant against: the fast tier, plus the few fast Redis and
 * stand-in files that reach what it cannot (the store's Lua scripts, the publisher against Slack, the
 * delivery ledger, the HBR client over HTTP). Redis must answer at REDIS_URL or 127.0.0.1:6379 (test/support/global-redis.ts).
 */
export default defineConfig({
  test: {
    include: [
      'test/unit/**/*.test.ts',
      'test/integration/slack/request-publisher.test.ts',
      'test/integration/slack/delivery-ledger.test.ts',
      'test/integration/hbr/client.test.ts',
      'test/integration/jobs/sweep.test.ts',
    ],
    globalSetup: ['test/support/global-redis.ts'],
    testTimeout: 10_000,
  },
});
