import { parseArgs } from 'node:util';
import type { RecorderOptions } from '../transports/http/recording-proxy.ts';
import { PROVIDER_NAMES, type ProviderName } from '../providers/provider.ts';
import { UsageError } from './start-options.ts';

export const RECORD_USAGE = `Usage: sandbox-emulator record --provider <${PROVIDER_NAMES.join('|')}> --upstream <URL> --out <file> [options]

Runs a recording proxy on 127.0.0.1 and prints its URL: aim your client (SDK, curl) there instead
of at the provider. Each request is forwarded to the upstream and its answer handed back as it
arrives, streams included; every answer is checked against our OpenAPI document of the provider
and each departure is printed as it is seen. On Ctrl-C (SIGINT or SIGTERM), or after --count
exchanges, the exchanges are written to --out as a fixture, credentials and tokens redacted.

  --provider <name>       whose documents judge the answers
  --upstream <URL>        where to forward: a surface's base URL, e.g.
                          https://sbx-demo-ws.us-pdx-1.bl.run (live) or
                          http://127.0.0.1:4747/blaxel/sandboxes/demo (the emulator)
  --out <file>            the fixture to write, e.g. fixtures/blaxel/my-bug.yaml
  --port <n>              port of the proxy (default 0: a free one, printed)
  --count <n>             stop after this many exchanges (default: stop on Ctrl-C)
  --title <text>          the fixture's title (default: "Recorded from <upstream>")
  --seen <text>           where the behaviour was seen (default: the upstream URL)
  --quirk <name>          the named quirk the recording shows
  --keep-header <name>    record this header too (repeatable; content-type and accept are
                          kept, credentials kept as <redacted>)
`;

export interface RecordSettings {
  recorder: RecorderOptions;
  out: string;
  count?: number;
  quirk?: string;
}

/** Turns `record` arguments into recorder options. */
export function parseRecordArgs(args: string[]): RecordSettings {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        provider: { type: 'string' },
        upstream: { type: 'string' },
        out: { type: 'string' },
        port: { type: 'string' },
        count: { type: 'string' },
        title: { type: 'string' },
        seen: { type: 'string' },
        quirk: { type: 'string' },
        'keep-header': { type: 'string', multiple: true },
        specs: { type: 'string' },
      },
    }));
  } catch (error) {
    throw new UsageError(`Failed to read the options: ${(error as Error).message}. Run 'sandbox-emulator record --help'.`);
  }
  if (!values.provider || !values.upstream || !values.out) {
    throw new UsageError(`Failed to start recording: --provider, --upstream and --out are required. ${RECORD_USAGE.split('\n')[0]}`);
  }
  if (!PROVIDER_NAMES.includes(values.provider as ProviderName)) {
    throw new UsageError(`Failed to read --provider: unknown provider '${values.provider}'. Use ${PROVIDER_NAMES.join(', ')}.`);
  }
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`Failed to read --port: '${values.port}' is not a port number (0-65535).`);
  const count = values.count === undefined ? undefined : Number(values.count);
  if (count !== undefined && !(Number.isInteger(count) && count > 0)) throw new UsageError(`Failed to read --count: '${values.count}' is not a positive whole number.`);
  return {
    recorder: {
      provider: values.provider as ProviderName,
      upstream: values.upstream,
      port,
      title: values.title,
      seen: values.seen,
      keepHeaders: values['keep-header'],
      specsDir: values.specs,
    },
    out: values.out,
    count,
    quirk: values.quirk,
  };
}
