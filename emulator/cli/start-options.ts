import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { checkFaultRule } from '../faults/check-fault-rule.ts';
import type { FaultRule } from '../faults/fault-rule.ts';
import type { EmulatorOptions } from '../index.ts';
import { EMULATED_QUIRKS, quirkList, unknownQuirks } from '../providers/emulated-quirks.ts';
import { PROVIDER_NAMES, type AgentBoxPool, type Fidelity, type ProviderName } from '../providers/provider.ts';

/** A mistake in the command line or the config file: printed as one line, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export const START_USAGE = `Usage: sandbox-emulator start [options]

  --port <n>               port to listen on (default 4747; 0 picks a free one)
  --host <addr>            address to listen on (default 127.0.0.1, never the network by accident)
  --allowed-host <name>    accept this name in the Host header (repeatable; '.example' takes its
                           subdomains); addresses and loopback names always pass, other names are
                           refused as DNS rebinding would use them
  --allow-origin <origin>  let a web page of this origin call the emulator, e.g.
                           http://localhost:3000 (repeatable; default: no page may, since every
                           provider here runs commands on this machine)
  --providers <list>       providers to serve, comma-separated (default: blaxel,tensorlake,agentbox,e2b)
  --blaxel-token <t>       require this credential on Blaxel requests (default: auth off)
  --tensorlake-token <t>   require this bearer token on Tensorlake requests
  --agentbox-token <t>     require this AGENTBOX-API-KEY on AgentBox requests
  --e2b-token <t>          require this X-API-KEY on E2B API requests
  --fidelity <f>           spec (answer as the documents say; default) or observed (also the
                           providers' known departures from their documents)
  --quirk <name>           turn one observed quirk on (repeatable); the names:
${quirkHelp()}
  --output-cap <size>      bytes kept per process stream, e.g. 1048576, 512KiB, 4MiB
                           (default: each provider's own limit)
  --pool <spec>            an AgentBox pool: name=container:command[;container:command...]
                           (repeatable); a ';' inside quotes stays in the command, e.g.
                           --pool "talk=sandbox:sh -c 'echo out; echo err >&2; exec sleep 1000'"
                           (its sandbox's /logs show 'out' and 'err'; the default pool's are empty)
  --fault <json>           inject a fault (repeatable): a rule as JSON, e.g.
                           '{"match":{"operationId":"getProcess"},"status":503,"times":1}';
                           fields: match {provider, mountId, operationId, method, path
                           (a regex)}, latencyMs, status, reset, cutAfterFrames, times
  --fixtures <path>        replay recorded fixtures (a .yaml file or a folder of them;
                           repeatable): a request a fixture recorded gets the recorded answer,
                           every other request goes to the emulator
  --config <file>          a YAML or JSON file with any of these settings (flags win)
  --no-strict              pass responses that break the spec (they are still reported)
  --quiet                  no log line per request
  --no-ui                  no web view (by default at /_emulator/: sandboxes, processes and
                           their output, live; off anyway when a provider token is set)
`;

/** The quirk names per provider, indented for START_USAGE. */
function quirkHelp(): string {
  return PROVIDER_NAMES.map((p) => `                             ${p}: ${EMULATED_QUIRKS[p].join(', ')}`).join('\n');
}

interface ConfigFile {
  port?: number;
  host?: string;
  allowedHosts?: string[];
  allowOrigins?: string[];
  providers?: ProviderName[];
  tokens?: Partial<Record<ProviderName, string>>;
  fidelity?: Fidelity;
  quirks?: string[];
  outputCap?: number | string;
  pools?: AgentBoxPool[];
  strict?: boolean;
  ui?: boolean;
  faults?: unknown[];
  fixtures?: string[];
}

export interface StartSettings {
  options: EmulatorOptions;
  quiet: boolean;
}

/** Turns `start` arguments (and an optional config file) into emulator options. */
export async function parseStartArgs(args: string[]): Promise<StartSettings> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        'allowed-host': { type: 'string', multiple: true },
        'allow-origin': { type: 'string', multiple: true },
        providers: { type: 'string' },
        'blaxel-token': { type: 'string' },
        'tensorlake-token': { type: 'string' },
        'agentbox-token': { type: 'string' },
        'e2b-token': { type: 'string' },
        fidelity: { type: 'string' },
        quirk: { type: 'string', multiple: true },
        'output-cap': { type: 'string' },
        pool: { type: 'string', multiple: true },
        fault: { type: 'string', multiple: true },
        fixtures: { type: 'string', multiple: true },
        config: { type: 'string' },
        'no-strict': { type: 'boolean' },
        quiet: { type: 'boolean' },
        'no-ui': { type: 'boolean' },
        help: { type: 'boolean' },
      },
    });
  } catch (error) {
    throw new UsageError(`Failed to read the options: ${(error as Error).message}. Run 'sandbox-emulator start --help'.`);
  }
  const flags = parsed.values;
  const config = flags.config ? await readConfig(flags.config) : {};

  const providers = flags.providers ? flags.providers.split(',').map((p) => p.trim()) : config.providers;
  for (const p of providers ?? []) {
    if (!PROVIDER_NAMES.includes(p as ProviderName)) {
      throw new UsageError(`Failed to read --providers: unknown provider '${p}'. Use ${PROVIDER_NAMES.join(', ')}.`);
    }
  }
  const fidelity = (flags.fidelity ?? config.fidelity ?? 'spec') as Fidelity;
  if (fidelity !== 'spec' && fidelity !== 'observed') {
    throw new UsageError(`Failed to read --fidelity: '${fidelity}' is neither 'spec' nor 'observed'.`);
  }
  const tokens = { ...config.tokens };
  for (const name of PROVIDER_NAMES) {
    const token = flags[`${name}-token` as const];
    if (token !== undefined) tokens[name] = token;
  }
  const quirks = [...(config.quirks ?? []), ...(flags.quirk ?? [])];
  const served = (providers as ProviderName[] | undefined) ?? PROVIDER_NAMES;
  const unknown = unknownQuirks(quirks, served);
  if (unknown.length > 0) {
    throw new UsageError(`Failed to read --quirk: ${unknown.map((q) => `'${q}'`).join(', ')} is no quirk of ${served.join(', ')}. Known: ${quirkList(served)}.`);
  }
  const pools = [...(config.pools ?? []), ...(flags.pool ?? []).map(parsePool)];
  const capText = flags['output-cap'] ?? config.outputCap;
  const faults = [
    ...(config.faults ?? []).map((rule) => faultRule(rule, `a fault rule in the config file ${flags.config}`)),
    ...(flags.fault ?? []).map((text) => faultRule(parseFaultJson(text), `--fault '${text}'`)),
  ];

  return {
    quiet: flags.quiet ?? false,
    options: {
      port: flags.port !== undefined ? parsePort(flags.port, '--port') : parsePort(config.port, `the port of the config file ${flags.config}`),
      host: flags.host ?? config.host ?? '127.0.0.1',
      allowedHosts: [...(config.allowedHosts ?? []), ...(flags['allowed-host'] ?? [])],
      allowOrigins: [...(config.allowOrigins ?? []), ...(flags['allow-origin'] ?? [])].map(parseOrigin),
      providers: providers as ProviderName[] | undefined,
      tokens,
      fidelity,
      quirks,
      outputCapBytes: capText === undefined ? undefined : parseSize(String(capText)),
      pools,
      strict: flags['no-strict'] ? false : (config.strict ?? true),
      ui: flags['no-ui'] ? false : (config.ui ?? true),
      faults,
      // Loaded (and a broken one refused, with its file and line) when the emulator is created.
      fixtures: [...(config.fixtures ?? []), ...(flags.fixtures ?? [])],
    },
  };
}

/** An origin as a browser sends it: scheme, host and port, nothing else (and never `*`). */
function parseOrigin(text: string): string {
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.origin !== text.replace(/\/$/, '')) {
    throw new UsageError(`Failed to read --allow-origin '${text}': write an origin as a browser sends it, e.g. http://localhost:3000 (no path, no wildcard).`);
  }
  return url.origin;
}

function parsePort(value: string | number | undefined, where: string): number {
  if (value === undefined) return 4747;
  const port = Number(value);
  if (value === '' || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError(`Failed to read ${where}: '${value}' is not a port number (0-65535).`);
  }
  return port;
}

/** '4MiB' -> 4194304. Accepts plain bytes and KiB/MiB/GiB (and KB/MB/GB as powers of 1024). */
export function parseSize(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(b|k|kb|kib|m|mb|mib|g|gb|gib)?\s*$/i.exec(text);
  if (!match) throw new UsageError(`Failed to read --output-cap: '${text}' is not a size (try 1048576, 512KiB or 4MiB).`);
  const unit = (match[2] ?? 'b').toLowerCase()[0];
  const factor = unit === 'k' ? 1024 : unit === 'm' ? 1024 ** 2 : unit === 'g' ? 1024 ** 3 : 1;
  return Math.floor(Number(match[1]) * factor);
}

function parseFaultJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`Failed to read --fault '${text}': it is not valid JSON (${(error as Error).message}). Quote the rule, e.g. --fault '{"status":503}'.`);
  }
}

/** A fault rule from the command line or the config file, checked now rather than at the first request. */
function faultRule(value: unknown, where: string): FaultRule {
  try {
    return checkFaultRule(value);
  } catch (error) {
    throw new UsageError((error as Error).message.replace(/^Failed to read the fault rule:/, `Failed to read ${where}:`));
  }
}

/**
 * `name=container:command[;container:command...]`. Containers are split at a `;` outside quotes
 * only, so that a shell command keeps its own (`sh -c 'echo out; exit 3'`); every part must be
 * `container:command`.
 */
export function parsePool(text: string): AgentBoxPool {
  const eq = text.indexOf('=');
  const name = text.slice(0, eq).trim();
  const refuse = (why: string) =>
    new UsageError(`Failed to read --pool '${text}': ${why}. Write it as name=container:command[;container:command...], quoting a ';' that belongs to a command.`);
  if (eq <= 0) throw refuse('it has no pool name before =');
  const containers = splitOutsideQuotes(text.slice(eq + 1), ';').map((part) => {
    const match = /^\s*([A-Za-z0-9][A-Za-z0-9_.-]*)\s*:(.*)$/s.exec(part);
    if (!match) throw refuse(`the part '${part.trim()}' is not container:command`);
    const command = match[2].trim();
    if (!command) throw refuse(`the container '${match[1]}' has no command`);
    return { name: match[1], command };
  });
  const names = containers.map((c) => c.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) throw refuse(`the container '${twice}' is named twice`);
  return { name, containers };
}

/** Splits at `separator` where it is outside '...' and "..." (a backslash escapes outside '...'). */
function splitOutsideQuotes(text: string, separator: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote === undefined && c === separator) {
      parts.push(current);
      current = '';
      continue;
    }
    current += c;
    if (c === '\\' && quote !== "'" && i + 1 < text.length) current += text[++i];
    else if (quote === undefined && (c === '"' || c === "'")) quote = c;
    else if (c === quote) quote = undefined;
  }
  parts.push(current);
  return parts;
}

async function readConfig(file: string): Promise<ConfigFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError(`Failed to read the config file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}. Check the path.`);
  }
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (error) {
    throw new UsageError(`Failed to read the config file ${file}: it is not valid YAML or JSON (${(error as Error).message.split('\n')[0]}).`);
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new UsageError(`Failed to read the config file ${file}: it must hold a mapping of settings.`);
  const config = value as ConfigFile;
  if (config.faults !== undefined && !Array.isArray(config.faults)) {
    throw new UsageError(`Failed to read the config file ${file}: 'faults' must be a list of fault rules.`);
  }
  for (const pool of config.pools ?? []) {
    if (!pool?.name || !Array.isArray(pool.containers) || pool.containers.some((c) => !c?.name || !c?.command)) {
      throw new UsageError(`Failed to read the config file ${file}: every pool needs a name and containers with a name and a command.`);
    }
  }
  return config;
}
