import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Two cores, and the end-to-end files run a lab plus a scanner process each: files run one at
    // a time so that timeouts measure the code, not contention between test files.
    fileParallelism: false,
  },
});
