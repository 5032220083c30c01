// Which way imports go between the emulator's folders (ARCHITECTURE.md draws the map).
// `npm run lint:imports` checks them, and `npm test` runs that check before the tests.
//
// The layer rules (kernel, core, openapi, providers) judge a layer's own code, not its tests:
// a test beside a handler may drive the whole emulator through emulator/index.ts, a
// test-support kit or the fuzzer, and that is what makes it a test of the handler as a client
// sees it. Two rules hold for tests too: a provider's tests stay out of the other providers,
// and only the CLI's own tests reach the CLI.
//
// Paths are from the repository root, with forward slashes. Type-only imports count: a type
// from the wrong layer is still a dependency on it (tsPreCompilationDeps below).
// CommonJS (.cjs) because package.json says "type": "module" and dependency-cruiser loads its
// configuration with require().

const TEST = '\\.test\\.ts$';
// The transports, fixture replay, faults, the CLI and the composition root: all of them sit
// above the providers and may use them, never the other way.
const ABOVE_PROVIDERS = ['^emulator/(transports|replay|faults|cli)/', '^emulator/(cli|app|index|assemble)\\.ts$'];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'kernel-imports-no-emulator',
      comment:
        'emulator/kernel/ is the bottom layer (the types of requests, answers, frames and dialects): ' +
        'it imports nothing else of the emulator. Move what it needs into the kernel, or the code that needs more out of it.',
      severity: 'error',
      from: { path: '^emulator/kernel/', pathNot: TEST },
      to: { path: '^emulator/', pathNot: '^emulator/kernel/' },
    },
    {
      name: 'core-imports-only-kernel',
      comment:
        'emulator/core/ (sandboxes, processes, output, files) knows no provider, spec or transport: ' +
        'it imports only emulator/core/ and emulator/kernel/. Pass what it needs in from the layer above.',
      severity: 'error',
      from: { path: '^emulator/core/', pathNot: TEST },
      to: { path: '^emulator/', pathNot: '^emulator/(core|kernel)/' },
    },
    {
      name: 'openapi-below-providers',
      comment:
        'emulator/openapi/ (load, route and validate against the documents) sits below the providers: ' +
        'it imports no provider, transport, replay, fault, CLI or composition-root module.',
      severity: 'error',
      from: { path: '^emulator/openapi/', pathNot: TEST },
      to: { path: ['^emulator/providers/', ...ABOVE_PROVIDERS] },
    },
    {
      name: 'provider-imports-no-other-provider',
      comment:
        'A provider folder (emulator/providers/<name>/) does not import another provider folder. ' +
        'What two providers share goes directly in emulator/providers/*.ts.',
      severity: 'error',
      // $1 in `to` is the folder the importing file is in.
      from: { path: '^emulator/providers/([^/]+)/' },
      to: { path: '^emulator/providers/[^/]+/', pathNot: '^emulator/providers/$1/' },
    },
    {
      name: 'provider-below-transports',
      comment:
        'emulator/providers/ imports no transport, replay, fault, CLI, composition-root or test-support module: ' +
        'those are built over the providers.',
      severity: 'error',
      from: { path: '^emulator/providers/', pathNot: TEST },
      to: { path: [...ABOVE_PROVIDERS, '^emulator/test-support/'] },
    },
    {
      name: 'nothing-imports-the-cli',
      comment:
        'Nothing imports the CLI (emulator/cli.ts, emulator/cli/): it is an entry point. Only its own files, ' +
        'its tests in emulator/cli/ and the launchers in bin/ and scripts/ reach it. Move what others need out of it.',
      severity: 'error',
      from: { pathNot: ['^emulator/cli/', '^emulator/cli\\.ts$', '^bin/', '^scripts/'] },
      to: { path: ['^emulator/cli\\.ts$', '^emulator/cli/'] },
    },
    {
      name: 'test-support-only-in-tests',
      comment:
        'emulator/test-support/ holds test kits: only tests (*.test.ts) and other test-support files import them. ' +
        'A shared test body that is not itself a *.test.ts file belongs in emulator/test-support/ too.',
      severity: 'error',
      from: { pathNot: [TEST, '^emulator/test-support/'] },
      to: { path: '^emulator/test-support/' },
    },
    {
      name: 'no-runtime-cycle',
      comment:
        'These modules import each other at run time, so one of them runs before the other has defined its exports. ' +
        'A cycle with a type-only import in it is gone once the types are erased, and is left alone ' +
        '(the plain no-circular rule would flag two such cycles in emulator/providers/tensorlake/).',
      severity: 'error',
      from: {},
      to: {
        circular: true,
        dependencyTypesNot: ['type-only'],
        viaOnly: { dependencyTypesNot: ['type-only'] },
      },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    // Packages' "exports" by the conditions Node and TypeScript use, so that an import of a
    // package's subpath (dependency-cruiser/config-utl/...) resolves as it does at run time.
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
    },
  },
};
