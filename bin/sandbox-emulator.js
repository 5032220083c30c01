#!/usr/bin/env node
// The `sandbox-emulator` command, in this same process so that signals (Ctrl-C, SIGTERM) reach
// the emulator directly. `npm start`, the container image, the bench and `npx sandbox-emulator`
// all start this way. `sandbox-emulator contracts ...` runs the contract suites (contracts/cli.ts).
//
// In a checkout (the TypeScript sources are here) it runs the CLI's JavaScript bundle,
// dist/cli.js, rebuilt first when a source changed since (scripts/build-cli.js). An installed
// package ships no sources: it runs the JavaScript built when it was packed, in dist/lib/
// (scripts/build-package.js).
import { existsSync } from 'node:fs';

const checkout = existsSync(new URL('../emulator/cli.ts', import.meta.url));
const contracts = process.argv[2] === 'contracts';
// The contracts CLI reads its options from argv[2] on, as `npm run contracts -- ...` gives them.
if (contracts) process.argv.splice(2, 1);

if (!checkout) {
  await import(contracts ? '../dist/lib/contracts-cli.js' : '../dist/lib/cli.js');
} else if (contracts) {
  // Seldom started, and never by the image: the sources through tsx, as `npm run contracts`.
  const { register } = await import('tsx/esm/api');
  register();
  await import('../contracts/cli.ts');
} else {
  let built;
  try {
    const { ensureCliBuilt } = await import('../scripts/build-cli.js');
    built = await ensureCliBuilt();
  } catch {
    // No bundle can be made here (a read-only install, esbuild missing): tsx's loader runs the
    // sources as they are, slower to start but the same CLI. A broken source is reported by it.
  }
  if (built) {
    const { pathToFileURL } = await import('node:url');
    await import(pathToFileURL(built).href);
  } else {
    const { register } = await import('tsx/esm/api');
    register();
    await import('../emulator/cli.ts');
  }
}
