import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'packages/*/test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    clearMocks: true,
    restoreMocks: true,
    // servers and child processes per file: two cores, so keep parallelism modest
    maxWorkers: 2,
  },
});
