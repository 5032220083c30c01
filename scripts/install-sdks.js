// Installs the providers' SDKs that cannot sit among the project's own dependencies, each in its
// own folder under sdks/. Today that is Tensorlake's: `tensorlake` declares Node >= 22, so in the
// root it would make every `npm install` on Node 20 print engine warnings, although the SDK runs
// on Node 20 once undici is held at 6 (sdks/tensorlake/package.json does that). The tests and the
// type checker find it there through an alias (vitest.config.ts, tsconfig.json).
//
// Run by npm's `prepare` (after `npm install` and `npm ci`) and at the start of `npm test`. It
// installs only when the folder's lock file differs from what is installed, so a second run costs
// a file comparison. npm's own warnings for these folders are left out on purpose: the engine
// mismatch is the known one above; errors still print.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SDKS = fileURLToPath(new URL('../sdks/', import.meta.url));

/** What npm records of an install: the lock file as installed (npm writes it in node_modules). */
function installedLock(folder) {
  const file = join(folder, 'node_modules', '.package-lock.json');
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')).packages : undefined;
}

function upToDate(folder) {
  const wanted = JSON.parse(readFileSync(join(folder, 'package-lock.json'), 'utf8')).packages;
  const installed = installedLock(folder);
  if (!installed) return false;
  const names = Object.keys(wanted).filter((name) => name !== '');
  return names.every((name) => installed[name]?.version === wanted[name].version && installed[name]?.integrity === wanted[name].integrity);
}

// The Docker image's context leaves sdks/ out: the image runs no SDK tests.
for (const name of existsSync(SDKS) ? readdirSync(SDKS) : []) {
  const folder = join(SDKS, name);
  if (!existsSync(join(folder, 'package-lock.json')) || upToDate(folder)) continue;
  const started = Date.now();
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(npm, ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: folder, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`sdks/${name}: npm ci failed (exit ${result.status ?? result.signal}); the tests that use this SDK cannot run.`);
    process.exit(1);
  }
  console.log(`sdks/${name}: installed for the SDK tests in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
