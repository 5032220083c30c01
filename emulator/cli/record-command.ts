import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { startRecorder } from '../transports/http/recording-proxy.ts';
import { fixtureToYaml } from '../replay/fixture-yaml.ts';
import { knownQuirks } from '../replay/known-quirks.ts';
import { loadFixture } from '../replay/load-fixture.ts';
import { DEFAULT_SPECS_DIR } from '../openapi/specs-dir.ts';
import { parseRecordArgs } from './record-options.ts';
import { UsageError } from './start-options.ts';

export interface RecordOutput {
  out: (line: string) => void;
  err: (line: string) => void;
}

/**
 * `sandbox-emulator record`: runs the recording proxy until Ctrl-C (or --count exchanges), then
 * writes the fixture and loads it back, so a file that would be refused is never left behind
 * looking valid.
 */
export async function runRecord(args: string[], io: RecordOutput): Promise<number> {
  const settings = parseRecordArgs(args);
  // Checked now, not after a recording session that could then not be written.
  if (settings.quirk && !(await knownQuirks(settings.recorder.provider, settings.recorder.specsDir ?? DEFAULT_SPECS_DIR)).has(settings.quirk)) {
    throw new UsageError(`Failed to read --quirk: '${settings.quirk}' is not a quirk of ${settings.recorder.provider} (the x-observed entries of its documents in specs/ name them).`);
  }
  const recorder = await startRecorder({
    ...settings.recorder,
    onExchange: (exchange, number) => {
      const { request, response } = exchange;
      const body = response.frames ? ` (${response.frames.length} frame${response.frames.length === 1 ? '' : 's'}${response.cut ? ', cut' : ''})` : '';
      io.out(`#${number} ${request.method} ${request.path} ${response.status}${body}`);
    },
    onViolation: (v, request) => io.err(`spec violation: ${request.method} ${request.path.split('?')[0]} ${v.status}${v.mediaType ? ` ${v.mediaType}` : ''}: ${v.message}`),
    onError: (message) => io.err(message),
  });
  io.out(`recording ${settings.recorder.provider} on ${recorder.url} -> ${settings.recorder.upstream}`);
  io.out(`aim your client at ${recorder.url}; ${settings.count ? `stops after ${settings.count} exchanges` : 'Ctrl-C writes the fixture'} (${settings.out})`);

  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    if (settings.count) void recorder.completed(settings.count).then(stop);
  });

  const fixture = await recorder.stop();
  if (fixture.exchanges.length === 0) {
    io.err(`Failed to write the fixture: no exchange was recorded. Aim a client at the proxy's URL before stopping it.`);
    return 1;
  }
  if (settings.quirk) fixture.quirk = settings.quirk;
  await mkdir(dirname(settings.out), { recursive: true });
  await writeFile(settings.out, fixtureToYaml(fixture));
  await loadFixture(settings.out, { specsDir: settings.recorder.specsDir });
  io.out(`wrote ${fixture.exchanges.length} exchange${fixture.exchanges.length === 1 ? '' : 's'} to ${settings.out}`);
  return 0;
}
