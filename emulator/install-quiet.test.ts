// A first `npm install` must print nothing alarming on the Node the project supports. npm warns
// for two things it finds in the lock file: a package whose `engines.node` the running Node does
// not satisfy (EBADENGINE), and a package with install scripts that `allowScripts` does not
// cover. Both are read here from the lock files npm installs from, against the oldest Node our
// own `engines` allows, so a dependency bump that brings either back fails this test.
import { readFileSync } from 'node:fs';
import semver from 'semver';
import { describe, expect, it } from 'vitest';

type LockEntry = { version?: string; engines?: { node?: string } | string[]; hasInstallScript?: boolean; dev?: boolean; optional?: boolean };
type Lock = { packages: Record<string, LockEntry> };

const readJson = <T>(file: string): T => JSON.parse(readFileSync(new URL(`../${file}`, import.meta.url), 'utf8')) as T;
const manifest = readJson<{ engines: { node: string }; allowScripts?: Record<string, boolean> }>('package.json');
const oldestNode = semver.minVersion(manifest.engines.node)!.version;

/** The name of the package a lock entry installs, from its folder (`node_modules/a/node_modules/@b/c`). */
const packageName = (folder: string) => folder.slice(folder.lastIndexOf('node_modules/') + 'node_modules/'.length);

function engineMisfits(lock: Lock, node: string) {
  return Object.entries(lock.packages)
    // An optional package whose engines refuse this Node is left out by npm, without a word
    // (e2b's undici 8, which it uses only on Node 22).
    .filter(([folder, entry]) => folder !== '' && !(entry.optional && !satisfiesEngines(entry, node)))
    .flatMap(([folder, entry]) => {
      const range = Array.isArray(entry.engines) ? undefined : entry.engines?.node;
      return range && !semver.satisfies(node, range) ? [`${packageName(folder)}@${entry.version} wants node ${range}`] : [];
    });
}

function satisfiesEngines(entry: LockEntry, node: string): boolean {
  const range = Array.isArray(entry.engines) ? undefined : entry.engines?.node;
  return !range || semver.satisfies(node, range);
}

describe('install noise', () => {
  it('every package the project installs accepts the oldest Node the project supports', () => {
    expect(oldestNode).toMatch(/^20\./);
    expect(engineMisfits(readJson<Lock>('package-lock.json'), oldestNode)).toEqual([]);
  });

  it('every install script is approved or denied in allowScripts, so npm lists none as unreviewed', () => {
    const withScripts = Object.entries(readJson<Lock>('package-lock.json').packages)
      .filter(([, entry]) => entry.hasInstallScript)
      .map(([folder]) => packageName(folder));
    expect(withScripts.length).toBeGreaterThan(0);
    expect(withScripts.filter((name) => manifest.allowScripts?.[name] === undefined)).toEqual([]);
  });

  it('the Tensorlake SDK, which wants Node 22, is kept out of the project install and pinned with its undici override', () => {
    expect(Object.keys(readJson<Lock>('package-lock.json').packages).filter((folder) => packageName(folder) === 'tensorlake')).toEqual([]);
    const side = readJson<Lock>('sdks/tensorlake/package-lock.json');
    expect(engineMisfits(side, oldestNode)).toEqual([expect.stringMatching(/^tensorlake@0\.5\.89 wants node >=22/)]);
    expect(side.packages['node_modules/undici']?.version).toBe('6.21.3');
  });
});
