import { defineConfig } from 'vitest/config';

/** The tests `npm run mutate` runs each mutant against: the fast tier (no Redis, no browser). */
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts'],
    testTimeout: 10_000,
  },
});
