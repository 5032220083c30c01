#!/usr/bin/env node
// Runs the CLI from its JavaScript bundle, dist/cli.js, rebuilt first when a source changed
// since (scripts/build-cli.js), in this same process so that signals (Ctrl-C, SIGTERM) reach
// the emulator directly. `npm start`, the container image and the bench all start this way.
import { pathToFileURL } from 'node:url';
import { ensureCliBuilt } from '../scripts/build-cli.js';

let built;
try {
  built = await ensureCliBuilt();
} catch {
  // No bundle can be made here (a read-only install, esbuild missing): tsx's loader runs the
  // sources as they are, slower to start but the same CLI. A broken source is reported by it.
}
if (built) {
  await import(pathToFileURL(built).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../emulator/cli.ts');
}
