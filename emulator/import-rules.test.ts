import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cruise, type ICruiseOptions, type ICruiseResult } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The import rules of .dependency-cruiser.cjs (what `npm run lint:imports` checks), run on
// small trees laid out like the project: each rule fires, by name, on the import it is about
// and on nothing else, and a tree that keeps to the layers passes. Then the real folders pass.

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CONFIG = join(ROOT, '.dependency-cruiser.cjs');

/** A tree that keeps to every rule: each layer imports only downwards. */
const CLEAN: Record<string, string> = {
  'emulator/kernel/frames.ts': 'export interface Frame { data: string }\n',
  'emulator/kernel/exchange.ts': "import type { Frame } from './frames.ts';\nexport interface EmuResponse { frames?: Frame[] }\n",
  'emulator/core/sandbox.ts': "import type { EmuResponse } from '../kernel/exchange.ts';\nexport const sandbox = (answer?: EmuResponse) => answer;\n",
  'emulator/core/sandbox.test.ts': "import { createEmulator } from '../index.ts';\nimport { sandbox } from './sandbox.ts';\nexport { createEmulator, sandbox };\n",
  'emulator/openapi/pipeline.ts': "import type { EmuResponse } from '../kernel/exchange.ts';\nimport { sandbox } from '../core/sandbox.ts';\nexport const run = (answer: EmuResponse) => sandbox(answer);\n",
  'emulator/providers/respond.ts': "import type { EmuResponse } from '../kernel/exchange.ts';\nexport const json = (): EmuResponse => ({});\n",
  'emulator/providers/blaxel/a.ts': "import { run } from '../../openapi/pipeline.ts';\nimport { json } from '../respond.ts';\nexport const a = () => run(json());\n",
  // A provider's test may drive the whole emulator, through a test kit.
  'emulator/providers/blaxel/a.test.ts': "import { kit } from '../../test-support/kit.ts';\nimport { a } from './a.ts';\nexport { a, kit };\n",
  // A cycle through a type-only import is gone at run time.
  'emulator/providers/tensorlake/state.ts': "import type { Pool } from './pools.ts';\nexport const DEFAULT = 1;\nexport type State = { pool?: Pool };\n",
  'emulator/providers/tensorlake/pools.ts': "import { DEFAULT } from './state.ts';\nexport type Pool = { size: number };\nexport const size = DEFAULT;\n",
  'emulator/transports/http/server.ts': "import { a } from '../../providers/blaxel/a.ts';\nimport { size } from '../../providers/tensorlake/pools.ts';\nexport const serve = () => [a(), size];\n",
  'emulator/index.ts': "import { serve } from './transports/http/server.ts';\nexport const createEmulator = serve;\n",
  'emulator/test-support/kit.ts': "import { createEmulator } from '../index.ts';\nexport const kit = createEmulator;\n",
  'emulator/cli/options.ts': "export const parse = (args: string[]) => args;\n",
  'emulator/cli/options.test.ts': "import { parse } from './options.ts';\nimport '../cli.ts';\nexport { parse };\n",
  'emulator/cli.ts': "import { parse } from './cli/options.ts';\nconst { createEmulator } = await import('./index.ts');\nexport const main = () => [parse([]), createEmulator];\n",
  'bin/launcher.js': "await import('../emulator/cli.ts');\n",
  'scripts/build.js': "export const entry = () => import('../emulator/cli.ts');\n",
  'contracts/suite.ts': "import { createEmulator } from '../emulator/index.ts';\nexport const target = createEmulator;\n",
};

/** One import that breaks each rule, with the violation it must give (rule: from -> to). */
const BAD: Array<{ files: Record<string, string>; violations: string[] }> = [
  {
    files: { 'emulator/kernel/dialect.ts': "import { sandbox } from '../core/sandbox.ts';\nexport const d = sandbox;\n" },
    violations: ['kernel-imports-no-emulator: emulator/kernel/dialect.ts -> emulator/core/sandbox.ts'],
  },
  {
    files: { 'emulator/core/bad.ts': "import { a } from '../providers/blaxel/a.ts';\nexport const bad = a;\n" },
    violations: ['core-imports-only-kernel: emulator/core/bad.ts -> emulator/providers/blaxel/a.ts'],
  },
  {
    // A type is a dependency too.
    files: { 'emulator/openapi/bad.ts': "import type { Pool } from '../providers/tensorlake/pools.ts';\nexport type Bad = Pool;\n" },
    violations: ['openapi-below-providers: emulator/openapi/bad.ts -> emulator/providers/tensorlake/pools.ts'],
  },
  {
    files: {
      'emulator/providers/blaxel/bad.ts': "import { size } from '../tensorlake/pools.ts';\nexport const bad = size;\n",
      'emulator/providers/blaxel/bad.test.ts': "import { DEFAULT } from '../tensorlake/state.ts';\nexport const bad = DEFAULT;\n",
    },
    violations: [
      'provider-imports-no-other-provider: emulator/providers/blaxel/bad.test.ts -> emulator/providers/tensorlake/state.ts',
      'provider-imports-no-other-provider: emulator/providers/blaxel/bad.ts -> emulator/providers/tensorlake/pools.ts',
    ],
  },
  {
    files: { 'emulator/providers/tensorlake/bad.ts': "import { serve } from '../../transports/http/server.ts';\nexport const bad = serve;\n" },
    violations: ['provider-below-transports: emulator/providers/tensorlake/bad.ts -> emulator/transports/http/server.ts'],
  },
  {
    files: {
      'contracts/bad.ts': "import { main } from '../emulator/cli.ts';\nexport const bad = main;\n",
      'emulator/faults/bad.test.ts': "import { parse } from '../cli/options.ts';\nexport const bad = parse;\n",
    },
    violations: [
      'nothing-imports-the-cli: contracts/bad.ts -> emulator/cli.ts',
      'nothing-imports-the-cli: emulator/faults/bad.test.ts -> emulator/cli/options.ts',
    ],
  },
  {
    files: { 'emulator/faults/scenario.ts': "import { kit } from '../test-support/kit.ts';\nexport const scenario = kit;\n" },
    violations: ['test-support-only-in-tests: emulator/faults/scenario.ts -> emulator/test-support/kit.ts'],
  },
  {
    files: {
      'emulator/replay/one.ts': "import { two } from './two.ts';\nexport const one = () => two;\n",
      'emulator/replay/two.ts': "import { one } from './one.ts';\nexport const two = () => one;\n",
    },
    // A cycle is reported once, at its first module.
    violations: ['no-runtime-cycle: emulator/replay/one.ts -> emulator/replay/two.ts'],
  },
];

let options: ICruiseOptions;
let tsConfig: ReturnType<typeof extractTSConfig>;
const trees: string[] = [];

beforeAll(async () => {
  options = await extractDepcruiseOptions(CONFIG);
  tsConfig = extractTSConfig(join(ROOT, 'tsconfig.json'));
});

afterAll(async () => {
  for (const dir of trees) await rm(dir, { recursive: true, force: true });
});

/** Cruises `folders` of `baseDir` with the project's rules; the violations as "rule: from -> to". */
async function violations(baseDir: string, folders: string[]): Promise<string[]> {
  const { output } = await cruise(folders, { ...options, baseDir, tsConfig: { fileName: join(ROOT, 'tsconfig.json') } }, {}, { tsConfig });
  const result = output as ICruiseResult;
  // An import that does not resolve would break no rule and pass unseen. The package test's
  // consumer files are the exception: they import the package as a user does, which resolves in
  // the project it installs them into (here only once dist/ is built).
  const unresolved = result.modules
    .filter((m) => !m.source.startsWith('exports/consumer/'))
    .flatMap((m) => m.dependencies.filter((d) => d.couldNotResolve).map((d) => `${m.source} -> ${d.module}`));
  expect(unresolved).toEqual([]);
  return result.summary.violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`).sort();
}

async function tree(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'import-rules-'));
  trees.push(dir);
  for (const [file, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, file)), { recursive: true });
    await writeFile(join(dir, file), text);
  }
  return dir;
}

describe('the import rules', () => {
  it('pass a tree that keeps to the layers', async () => {
    expect(await violations(await tree(CLEAN), ['emulator', 'contracts', 'bin', 'scripts'])).toEqual([]);
  });

  it('name every rule of the configuration in one bad case here', () => {
    const named = BAD.flatMap((bad) => bad.violations.map((v) => v.slice(0, v.indexOf(':'))));
    expect([...new Set(named)].sort()).toEqual(options.ruleSet!.forbidden!.map((rule) => rule.name).sort());
  });

  it.each(BAD.map((bad) => [bad.violations[0].slice(0, bad.violations[0].indexOf(':')), bad] as const))('fire %s, on the bad import only', async (_, bad) => {
    expect(await violations(await tree({ ...CLEAN, ...bad.files }), ['emulator', 'contracts'])).toEqual(bad.violations);
  });

  it('pass the project, over the folders npm run lint:imports names', async () => {
    const { scripts } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    const folders = ['emulator', 'contracts', 'bench', 'fixtures', 'examples', 'exports'];
    expect(scripts['lint:imports']).toBe(`depcruise --config .dependency-cruiser.cjs ${folders.join(' ')}`);
    expect(scripts.test).toContain('npm run lint:imports');
    expect(await violations(ROOT, folders)).toEqual([]);
  });
});
