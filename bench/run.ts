// `npm run bench`: the emulator against the tools users would pick instead, measured side by side
// in one run and printed as ratios (absolute times on a shared 2-core machine are noise), each
// with its target and PASS/MISS. Not a test: it never fails a build. See bench/README.md.
import { performance } from 'node:perf_hooks';
import { endAll, endChildrenOnExit, startEmulatorCli, type RunningServer } from './children.ts';
import { coldStarts } from './cold-start.ts';
import { concurrency } from './concurrency.ts';
import { benchConfig, loadLine, machineLine } from './config.ts';
import { execRoundTrip } from './exec-round-trip.ts';
import { logFollow } from './log-follow.ts';
import { out, heading, summary, type Check } from './report.ts';
import { requestThroughput } from './request-throughput.ts';

const SECTIONS = 5;

async function section(checks: Check[], name: string, run: () => Promise<Check[]>): Promise<void> {
  const t0 = performance.now();
  try {
    checks.push(...(await run()));
  } catch (error) {
    out(`  ! ${name} could not run: ${(error as Error).message}`);
    checks.push({ name, value: 'n/a', target: '', verdict: 'SKIP', note: (error as Error).message.split('\n')[0] });
  }
  out(`  (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
}

/** The benchmarks by the name that picks them: `npm run bench -- logs cold` runs those two. */
const NAMES = ['exec', 'throughput', 'concurrency', 'logs', 'cold'] as const;
type Name = (typeof NAMES)[number];

function chosen(argv: string[]): Set<Name> {
  const unknown = argv.filter((a) => !(NAMES as readonly string[]).includes(a));
  if (unknown.length > 0) {
    process.stderr.write(`bench: unknown benchmark ${unknown.map((u) => `'${u}'`).join(', ')}. Pick from ${NAMES.join(', ')}, or none for all.\n`);
    process.exit(2);
  }
  return new Set(argv.length > 0 ? (argv as Name[]) : NAMES);
}

async function main(): Promise<void> {
  endChildrenOnExit();
  const wanted = chosen(process.argv.slice(2));
  const config = benchConfig();
  const started = performance.now();
  const checks: Check[] = [];
  out('sandbox-emulator bench: ratios measured side by side in this run; absolute times are only context.');
  out(machineLine(config));

  let emulator: RunningServer | undefined;
  try {
    // One emulator process (the CLI, as users run it) for the request benchmarks; the log
    // benchmark starts its own, one per run, so that each peak RSS is that run's alone.
    if (wanted.has('exec') || wanted.has('throughput') || wanted.has('concurrency')) {
      emulator = await startEmulatorCli();
      const shared = emulator;

      if (wanted.has('exec')) {
        heading(1, SECTIONS, `exec round trip: start a process and wait for its end, one at a time; median of ${config.execRounds} after ${config.execWarmup} warm-up rounds`);
        await section(checks, 'exec round trip', () => execRoundTrip(config, shared));
      }
      if (wanted.has('throughput')) {
        heading(2, SECTIONS, 'request throughput: GET of a finished process, validation on');
        await section(checks, 'request throughput', () => requestThroughput(config, shared));
      }
      if (wanted.has('concurrency')) {
        heading(3, SECTIONS, `concurrency: ${config.concurrency} processes started at once and awaited`);
        await section(checks, 'concurrency', () => concurrency(config, shared));
      }

      const violations = shared.stderr().trim();
      if (violations) out(`  ! the emulator wrote to stderr: ${violations.split('\n').slice(0, 3).join(' | ')}`);
      await shared.stop();
      emulator = undefined;
    }

    if (wanted.has('logs')) {
      heading(4, SECTIONS, `log throughput and memory: ${config.logSizesMiB.join(', ')} MiB written to stdout, read through each follow stream`);
      await section(checks, 'log throughput and memory', () => logFollow(config));
    }

    if (wanted.has('cold')) {
      heading(5, SECTIONS, 'cold start: spawn to the first answered request');
      await section(checks, 'cold start', () => coldStarts(config));
    }
  } finally {
    await emulator?.stop();
    await endAll();
  }

  out();
  out('Summary');
  out(summary(checks));
  const count = (v: string) => checks.filter((c) => c.verdict === v).length;
  out();
  out(`${count('PASS')} PASS, ${count('MISS')} MISS${count('SKIP') ? `, ${count('SKIP')} SKIP` : ''}; ${((performance.now() - started) / 1000).toFixed(0)} s in all; ${loadLine()} at the end.`);
}

main().then(
  () => process.exit(0),
  async (error: Error) => {
    process.stderr.write(`bench: ${error.stack ?? error.message}\n`);
    await endAll();
    process.exit(1);
  },
);
