#!/usr/bin/env node
// The command line. Nothing imports this file: it only wires the programmatic API to argv.
import { parseArgs } from 'node:util';
import { exposureWarning, startBanner } from './cli/start-banner.ts';
import { parseStartArgs, START_USAGE, UsageError } from './cli/start-options.ts';
import { stopSpawnServer } from './core/spawn-server.ts';
import { DRIFT_PROVIDERS, runDrift } from './openapi/drift.ts';
import { DEFAULT_SPECS_DIR } from './openapi/specs-dir.ts';

const USAGE = `Usage: sandbox-emulator <command> [options]

Commands:
  start      run the emulator over HTTP (the default command)
  drift      compare our OpenAPI document of a provider with its published one
  record     record a provider's answers through a proxy, as a fixture to replay offline
  contracts  run a provider's contract suite against a target (the emulator, its image, a URL,
             the live provider)

Run 'sandbox-emulator <command> --help' for a command's options.
`;

const DRIFT_USAGE = `Usage: sandbox-emulator drift --provider <${DRIFT_PROVIDERS.join('|')}> --upstream <file or URL> [--operation 'GET /path']...

Lists, per operation both documents share, the differences in paths, parameters, required
fields, property names, types and enums. Exits 1 when there is drift, 0 when there is none.
`;

async function main(argv: string[]): Promise<number> {
  // `sandbox-emulator --help` is the commands' list; other options alone are start's.
  if (argv[0] === '--help' || argv[0] === '-h') argv = ['help'];
  const [command = 'start', ...rest] = argv[0]?.startsWith('-') ? ['start', ...argv] : argv;
  if (command === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  if (command === 'start') return start(rest);
  if (command === 'drift') return drift(rest);
  if (command === 'record') return record(rest);
  throw new UsageError(`Failed to run: unknown command '${command}'. Use start, drift or record.`);
}

/** The signals that end `start` cleanly: every process ended, every container removed. */
const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'];

async function start(args: string[]): Promise<number> {
  if (args.includes('--help')) {
    process.stdout.write(START_USAGE);
    return 0;
  }
  const { options, quiet } = await parseStartArgs(args);
  // A log reader that goes away (`npm start | head`, a closed terminal, a log shipper that
  // stopped) makes the next write fail with EPIPE or EIO; unhandled, that error would end the
  // emulator and every process with it. The log is lost, the server is not.
  for (const out of [process.stdout, process.stderr]) out.on('error', () => undefined);
  // Loaded here, not at the top: `drift` needs none of the providers.
  const { createEmulator } = await import('./index.ts');
  const emulator = await createEmulator({
    ...options,
    log: quiet ? undefined : (line) => process.stdout.write(`${new Date().toISOString()} ${line}\n`),
  });
  // Listening for the signals before the banner: a supervisor that stops us as soon as it
  // reads the banner must find the handlers in place, not the default that ends us uncleaned.
  const stopped = new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.stdout.write(`\n${signal}: ending every process the emulator started...\n`);
      resolve();
    };
    // SIGHUP comes when the terminal or ssh session closes, SIGQUIT from Ctrl-\: left to their
    // default they end the emulator on the spot, orphaning every child and the temp root.
    for (const signal of STOP_SIGNALS) process.once(signal, stop);
  });
  let urls;
  try {
    urls = await emulator.listen();
  } catch (error) {
    await emulator.close();
    throw error;
  }
  const replayed = emulator.fixtures.fixtures.length;
  if (replayed > 0) process.stdout.write(`replaying ${replayed} fixture${replayed === 1 ? '' : 's'}; every other request goes to the emulator\n`);
  process.stdout.write(`${startBanner(urls, options)}\n`);
  const warning = exposureWarning(options);
  if (warning) process.stderr.write(`${warning}\n`);
  await stopped;
  await emulator.close();
  process.stdout.write('sandbox-emulator stopped.\n');
  return 0;
}

async function record(args: string[]): Promise<number> {
  // Loaded here: the proxy needs the documents, not the rest of the CLI.
  const { RECORD_USAGE } = await import('./cli/record-options.ts');
  if (args.includes('--help')) {
    process.stdout.write(RECORD_USAGE);
    return 0;
  }
  const { runRecord } = await import('./cli/record-command.ts');
  return runRecord(args, { out: (line) => process.stdout.write(`${line}\n`), err: (line) => process.stderr.write(`${line}\n`) });
}

async function drift(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      options: {
        provider: { type: 'string' },
        upstream: { type: 'string' },
        operation: { type: 'string', multiple: true },
        specs: { type: 'string' },
        help: { type: 'boolean' },
      },
    }));
  } catch (error) {
    throw new UsageError(`Failed to read the options: ${(error as Error).message}. Run 'sandbox-emulator drift --help'.`);
  }
  if (values.help) {
    process.stdout.write(DRIFT_USAGE);
    return 0;
  }
  if (!values.provider || !values.upstream) throw new UsageError(`Failed to run drift: --provider and --upstream are required. ${DRIFT_USAGE.split('\n')[0]}`);
  const { report, text } = await runDrift({
    provider: values.provider as (typeof DRIFT_PROVIDERS)[number],
    upstream: values.upstream,
    specsDir: values.specs ?? DEFAULT_SPECS_DIR,
    operations: values.operation,
  });
  process.stdout.write(`${text}\n`);
  return report.differences.length > 0 ? 1 : 0;
}

main(process.argv.slice(2)).then(
  async (code) => {
    // The helper that spawned the emulator's processes goes before we do (see spawn-server.ts).
    await stopSpawnServer();
    process.exit(code);
  },
  (error: Error) => {
    // Mistakes of the user get one clear line, not a stack trace.
    const known = error instanceof UsageError || error.message.startsWith('Failed to');
    process.stderr.write(`sandbox-emulator: ${known ? error.message : (error.stack ?? error.message)}\n`);
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);
