import { defineConfig } from 'vitest/config';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';

export default defineConfig({
  resolve: {
    // The Tensorlake SDK lives in its own folder, apart from the project's dependencies, because
    // it declares Node >= 22 (scripts/install-sdks.js says why); tests import it by its name.
    alias: [{ find: /^tensorlake$/, replacement: fileURLToPath(new URL('./sdks/tensorlake/node_modules/tensorlake/dist/index.js', import.meta.url)) }],
  },
  test: {
    include: ['emulator/**/*.test.ts', 'contracts/**/*.test.ts', 'fixtures/**/*.test.ts', 'examples/**/*.test.ts', 'exports/*.test.ts'],
    // Tests spawn real processes and servers; a generous per-test timeout keeps a slow CI
    // machine from flaking, while every wait inside a test is on an event, not a sleep.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // The default output, then why tests were skipped: a skip must never pass for a check.
    reporters: ['default', './emulator/test-support/skip-summary.ts'],
    // vitest's default is one worker fewer than the cores: one worker on a 2-core CI machine,
    // which ran the files one after another (323 s). The tests mostly wait on child processes,
    // so two workers share two cores well (140 s, same results).
    maxWorkers: Math.max(2, availableParallelism() - 1),
    // Brings up a Docker engine and the emulator's image once, for the container target.
    globalSetup: ['contracts/kit/global-setup.ts'],
  },
});
