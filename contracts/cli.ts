// `sandbox-emulator contracts --provider <name> --target <inprocess|http|URL|container|live> --out <dir>`
// (`npm run contracts -- ...` in this repository). Runs a provider's contract suite against a
// target, prints the conformance table, writes JUnit XML and a Markdown summary, and exits
// non-zero on any failure.
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { SuiteReport } from './kit/contract-suite.ts';
import { formatTable, toJUnit, toMarkdown } from './kit/report.ts';
import { targetUnavailable } from './kit/targets/index.ts';
import { CONTRACT_PROVIDERS, runContracts } from './run-contracts.ts';

const USAGE = `Usage: sandbox-emulator contracts --provider <${CONTRACT_PROVIDERS.join('|')}|all> --target <inprocess|http|container|live|URL> [options]

  --provider <name>     the provider whose contract to check (default: all)
  --target <target>     inprocess: the emulator in this process (msw)
                        http: the emulator CLI on a free port (default)
                        container: the emulator's image, with testcontainers (needs a Docker engine)
                        live: the real provider (credentials from the environment)
                        URL: an emulator already running there, e.g. http://127.0.0.1:4747
  --fidelity <f>        for emulator targets: spec (default) or observed
  --header <k:v>        a header for every request to a URL target (repeatable), e.g. a token
  --out <dir>           where to write junit.xml and summary.md (default: reports/contracts)
  --stream-timeout <ms> longest wait for a stream frame or a stream's end (default 10000)
  --allow-skip          exit 0 when a target cannot be reached here (no Docker engine, no
                        credentials); without it a skipped target fails the run, so a CI gate
                        that checked nothing never passes
`;

function fail(message: string): never {
  process.stderr.write(`contracts: ${message}\n`);
  process.exit(2);
}

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: process.argv.slice(2),
      options: {
        provider: { type: 'string', default: 'all' },
        target: { type: 'string', default: 'http' },
        fidelity: { type: 'string', default: 'spec' },
        header: { type: 'string', multiple: true },
        out: { type: 'string', default: 'reports/contracts' },
        'stream-timeout': { type: 'string' },
        'allow-skip': { type: 'boolean' },
        help: { type: 'boolean' },
      },
    }));
  } catch (error) {
    fail(`Failed to read the options: ${(error as Error).message}. Run with --help.`);
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const providers = values.provider === 'all' ? CONTRACT_PROVIDERS : [values.provider!];
  for (const name of providers) if (!CONTRACT_PROVIDERS.includes(name)) fail(`Failed to run: unknown provider '${name}'. Use ${CONTRACT_PROVIDERS.join(', ')} or all.`);
  if (values.fidelity !== 'spec' && values.fidelity !== 'observed') fail(`Failed to read --fidelity: '${values.fidelity}' is neither spec nor observed.`);
  const headers = Object.fromEntries(
    (values.header ?? []).map((h) => {
      const at = h.indexOf(':');
      if (at <= 0) fail(`Failed to read --header '${h}': write it as name:value.`);
      return [h.slice(0, at).trim(), h.slice(at + 1).trim()];
    }),
  );
  const streamTimeoutMs = values['stream-timeout'] ? Number(values['stream-timeout']) : undefined;

  const reports: SuiteReport[] = [];
  const skippedTargets: string[] = [];
  for (const provider of providers) {
    const unavailable = await targetUnavailable(values.target!, provider);
    if (unavailable) {
      process.stdout.write(`${provider} contract on ${values.target}: skipped: ${unavailable}\n\n`);
      skippedTargets.push(provider);
      continue;
    }
    const report = await runContracts({ provider, target: values.target, fidelity: values.fidelity as 'spec' | 'observed', headers, streamTimeoutMs });
    reports.push(report);
    process.stdout.write(`${formatTable(report)}\n\n`);
  }
  const out = resolve(values.out!);
  await mkdir(out, { recursive: true });
  await writeFile(join(out, 'junit.xml'), toJUnit(reports));
  await writeFile(join(out, 'summary.md'), toMarkdown(reports));
  process.stdout.write(`Reports: ${join(out, 'junit.xml')}, ${join(out, 'summary.md')}\n`);
  const results = reports.flatMap((r) => r.results);
  const count = (status: string) => results.filter((x) => x.status === status).length;
  const ran = count('pass') + count('fail');
  process.stdout.write(
    `${ran} check${ran === 1 ? '' : 's'} ran: ${count('pass')} passed, ${count('fail')} failed; ${count('skip')} not exercised` +
      `${skippedTargets.length > 0 ? `; target skipped for ${skippedTargets.join(', ')}` : ''}.\n`,
  );
  if (count('fail') > 0) return 1;
  if (skippedTargets.length > 0 && !values['allow-skip']) {
    process.stderr.write(`contracts: the ${values.target} target was skipped for ${skippedTargets.join(', ')}, so nothing was checked there. Make it reachable, or pass --allow-skip to accept that.\n`);
    return 1;
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    process.stderr.write(`contracts: ${error.message.startsWith('Failed to') ? error.message : (error.stack ?? error.message)}\n`);
    process.exit(2);
  },
);
