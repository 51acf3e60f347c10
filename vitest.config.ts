import { defineConfig } from 'vitest/config';

/**
 * Two tiers. `unit` is pure code, listeners and job processors with small fakes: seconds, no Redis,
 * no browser (`npm run test:unit`). `integration` is everything that needs Redis, the stand-ins, a
 * child process or Chromium: the end-to-end flows, the hardening promises, the sandbox, deployment.
 */
const UNIT = ['test/unit/**/*.test.ts', 'test/support/**/*.test.ts'];

export default defineConfig({
  test: {
    // Two cores: end-to-end files start servers and workers, so keep parallelism modest.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 30_000,
    projects: [
      // Unit files share one module graph per worker (isolate: false): they hold no module state (fakes are
      // built per test), and importing Bolt, BullMQ and pino once per file cost four times the tests' own time.
      { extends: true, test: { name: 'unit', include: UNIT, isolate: false } },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: UNIT,
          // A Redis for these tests when no service runs (test/support/global-redis.ts); the unit tier needs none.
          globalSetup: ['test/support/global-redis.ts'],
        },
      },
    ],
  },
});
