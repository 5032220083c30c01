import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { AgentBoxPool } from '../../emulator/providers/provider.ts';
import { loadSpec } from '../../emulator/openapi/load-spec.ts';
import type { ContractSuite, Scenario, ScenarioContext } from '../kit/contract-suite.ts';
import { ScenarioStop, type CallOptions, type SpecClient } from '../kit/spec-client.ts';
import type { StreamFrame, StreamReader } from '../kit/stream-reader.ts';
import { waitUntil } from '../kit/wait-until.ts';

// The AgentBox contract: what our document (specs/agentbox.yaml) promises, checked against any
// target. Sandboxes are claimed from pools; their containers and the execs run real commands.

/**
 * The pool the log scenarios claim from. Its own container writes five lines (one to stderr),
 * then waits on two fifos that the suite writes to through exec: the first one's text comes out
 * as a line while the container still runs, the second one's is the exit code it ends with. So
 * the suite decides when a live line comes and when the container ends, without sleeping.
 * Statements are separated by newlines, not `;`, so the pool also fits the CLI's `--pool`.
 * A live AgentBox runs the log scenarios against a pool built the same way (AGENTBOX_LOG_POOL).
 */
export const CONTRACT_LOG_POOL: AgentBoxPool = {
  name: 'contract-logs',
  containers: [
    {
      name: 'sandbox',
      command: [
        'mkfifo gate-1 gate-2',
        'echo line-1',
        'echo line-2',
        // Two pipes carry no order of their own: the pauses give the stderr line its place.
        'sleep 0.1',
        'echo line-3 >&2',
        'sleep 0.1',
        'echo line-4',
        'echo line-5',
        'cat gate-1',
        'read code < gate-2',
        'echo exiting-$code',
        'exit $code',
      ].join('\n'),
    },
    { name: 'helper', command: 'echo helper-ready\nexec sleep 2147483647' },
  ],
};

/**
 * The key the emulator targets require (the suite's `emulator.auth`), so the 401 every operation
 * declares can be checked; a live target sends the user's own key instead.
 */
const CONTRACT_KEY = 'agbx_contract_suite';
const KEY_HEADER = 'AGENTBOX-API-KEY';

const FIVE_LINES = ['line-1', 'line-2', 'line-3', 'line-4', 'line-5'];
const ENDED = new Set(['Failed', 'Completed', 'Canceled', 'Released']);

interface SandboxJson {
  sandboxId: string;
  namespace: string;
  poolName: string;
  podName: string;
  status: string;
  claimedAt: string;
  startedAt?: string;
  terminatedAt?: string;
  exitCode?: number;
  metadata?: Record<string, string>;
  idleTimeoutSeconds?: number;
}

interface LogEntryJson {
  timestamp?: string;
  container: string;
  log: string;
}

/** The target's name for a pool the suite knows by the emulator's name. */
function poolOf(client: SpecClient, name: string): string {
  return client.target.pools?.[name] ?? name;
}

/** A value as it goes into a failure's reason: JSON, cut short. */
function json(value: unknown): string {
  return JSON.stringify(value)?.slice(0, 300) ?? 'undefined';
}

/** Deep equality of JSON values; the order of an object's keys does not count (Go sorts a map's). */
function same(a: unknown, b: unknown): boolean {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(canonical) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).sort(([x], [y]) => (x < y ? -1 : 1)).map(([k, x]) => [k, canonical(x)])) : v;
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function isDate(value: unknown): boolean {
  return typeof value === 'string' && !Number.isNaN(Date.parse(value));
}

function isMeta(frame: StreamFrame): boolean {
  return (frame.payload as { _meta?: unknown } | null)?._meta === true;
}

function logOf(frame: StreamFrame): string | undefined {
  const log = (frame.payload as { log?: unknown } | null)?.log;
  return typeof log === 'string' ? log : undefined;
}

/** Claims a sandbox (a checked CreateSandbox) and registers its release for clean-up. */
async function claim(client: SpecClient, { cleanup }: ScenarioContext, pool: string, extra: object = {}): Promise<SandboxJson> {
  const poolName = poolOf(client, pool);
  const res = await client.call('CreateSandbox', { json: { poolName, ...extra } });
  const sandbox = res.json?.sandbox as SandboxJson | undefined;
  if (res.status === 201 && sandbox?.sandboxId) {
    cleanup(() => client.call('DeleteSandbox', { params: { sandboxId: sandbox.sandboxId }, untracked: true }));
    return sandbox;
  }
  const hint =
    pool === CONTRACT_LOG_POOL.name && res.status === 404
      ? ` The target has no pool '${poolName}'. Start the emulator with the suite's pools: npm start -- --config contracts/agentbox/contract-pools.yaml (or, for a live AgentBox, name a pool built like it with AGENTBOX_LOG_POOL).`
      : '';
  throw new Error(`Failed to claim a sandbox from pool '${poolName}': CreateSandbox answered ${res.status} ${res.text.slice(0, 200)}.${hint}`);
}

/**
 * Polls GetSandbox (unjudged) until `wanted` holds: no event says a pod has started or ended.
 * A sandbox that never gets there, or that GetSandbox stops finding, fails `blame`'s behaviour
 * check (the operation that should have brought the state about) and stops the scenario.
 */
async function sandboxWhen(client: SpecClient, blame: string, sandboxId: string, what: string, wanted: (s: SandboxJson) => boolean): Promise<SandboxJson> {
  try {
    return await waitUntil(
      `sandbox ${sandboxId} to be ${what}`,
      async () => {
        const res = await client.call('GetSandbox', { params: { sandboxId }, untracked: true });
        if (res.status !== 200) throw new LostSandbox(`GetSandbox answered ${res.status} ${res.text.slice(0, 200)} while the suite waited for it to be ${what}`);
        const sandbox = res.json?.sandbox as SandboxJson | undefined;
        return sandbox && wanted(sandbox) ? sandbox : undefined;
      },
      // Pods of a live provider take their time; the emulator's are there at once.
      60_000,
      100,
    );
  } catch (error) {
    const operation = error instanceof LostSandbox ? 'GetSandbox' : blame;
    client.expect(operation, false, (error as Error).message);
    throw new ScenarioStop(`${operation}: ${(error as Error).message}`);
  }
}

/** GetSandbox stopped finding a sandbox that it should still find: its own fault, not the wait's. */
class LostSandbox extends Error {}

async function running(client: SpecClient, sandboxId: string): Promise<SandboxJson> {
  return sandboxWhen(client, 'CreateSandbox', sandboxId, 'Running', (s) => {
    if (ENDED.has(s.status)) throw new Error(`sandbox ${sandboxId} ended (${s.status}) before it was Running`);
    return s.status === 'Running';
  });
}

async function exec(client: SpecClient, sandboxId: string, command: string, extra: object = {}) {
  return client.call('ExecSandboxCommand', { params: { sandboxId }, json: { command, ...extra } });
}

/** Opens StreamSandboxLogs; an answer that is no stream fails the behaviour check and stops the scenario. */
async function follow(client: SpecClient, sandboxId: string, query: Record<string, string> = {}): Promise<StreamReader> {
  const res = await client.stream('StreamSandboxLogs', { params: { sandboxId }, query });
  if (!('reader' in res)) {
    client.expect('StreamSandboxLogs', false, `the log stream answered ${res.status} ${res.mediaType}, not a stream`);
    throw new ScenarioStop(`StreamSandboxLogs answered ${res.status}`);
  }
  return res.reader;
}

/** The first frame of a stream, however it looks: a check on it fails at once, not at a deadline. */
async function firstFrame(client: SpecClient, reader: StreamReader, what: string): Promise<StreamFrame> {
  const [frame] = await client.readUntil('StreamSandboxLogs', reader, () => true, what);
  return frame;
}

/** Checks that a stream's frames end with its one meta line, naming the pod when there is one. */
function checkEnd(client: SpecClient, frames: StreamFrame[], what: string, podName: string | undefined): void {
  const metas = frames.filter(isMeta);
  const last = frames.at(-1);
  const meta = last?.payload as { source?: string; truncated?: boolean; pod_name?: string } | undefined;
  client.expect(
    'StreamSandboxLogs',
    metas.length === 1 && last !== undefined && isMeta(last) && meta?.source === 'live' && meta.truncated === false && meta.pod_name === podName,
    `${what}: the stream ends with one meta line {_meta: true, source: live, truncated: false${podName ? `, pod_name: ${podName}` : ', no pod_name'}}; its frames were ${json(frames.map((f) => f.raw))}`,
  );
}

const ping: Scenario = {
  name: 'ping',
  operations: ['Ping'],
  async run(client) {
    const res = await client.call('Ping');
    client.expect('Ping', res.status === 200 && res.json?.status === 'ok', `the probe answered ${res.status} ${json(res.json)}`);
    // The probe does not look at credentials.
    for (const key of ['', 'agbx_wrong']) {
      const bare = await client.call('Ping', { headers: { [KEY_HEADER]: key } });
      client.expect('Ping', bare.status === 200 && bare.json?.status === 'ok', `the probe with ${key ? 'a wrong' : 'no'} key answered ${bare.status}`);
    }
  },
};

const sandboxes: Scenario = {
  name: 'sandboxes',
  operations: ['CreateSandbox', 'GetSandbox', 'ListSandboxes', 'DeleteSandbox', 'StreamSandboxLogs', 'GetSandboxLogs', 'ExecSandboxCommand'],
  async run(client, context) {
    const metadata = { suite: 'agentbox-contract', run: context.unique('run') };
    const first = await claim(client, context, 'default', { metadata, idleTimeout: '15m' });
    const poolName = poolOf(client, 'default');
    client.expect(
      'CreateSandbox',
      first.poolName === poolName && first.sandboxId !== '' && first.podName !== '' && ['Pending', 'Starting', 'Running'].includes(first.status),
      `a fresh claim from '${poolName}' is ${first.status} in pool ${first.poolName}, pod ${json(first.podName)}`,
    );
    client.expect('CreateSandbox', same(first.metadata, metadata), `the record keeps the metadata sent: ${json(first.metadata)}`);
    client.expect('CreateSandbox', first.idleTimeoutSeconds === 900, `idleTimeout 15m is idleTimeoutSeconds ${first.idleTimeoutSeconds}, not 900`);
    const second = await claim(client, context, 'default');
    client.expect('CreateSandbox', second.sandboxId !== first.sandboxId && second.podName !== first.podName, 'each claim is a sandbox and pod of its own');

    await running(client, first.sandboxId);
    const got = await client.call('GetSandbox', { params: { sandboxId: first.sandboxId } });
    const sandbox = got.json?.sandbox as SandboxJson | undefined;
    client.expect(
      'GetSandbox',
      got.status === 200 && sandbox?.sandboxId === first.sandboxId && sandbox.podName === first.podName && sandbox.poolName === poolName,
      `get answered ${got.status} for the sandbox just claimed: ${json(sandbox)}`,
    );
    client.expect('GetSandbox', sandbox?.status === 'Running' && isDate(sandbox.startedAt) && same(sandbox.metadata, metadata), `a running sandbox: ${json(sandbox)}`);

    // Listing: newest claim first, filters, paging.
    const list = await client.call('ListSandboxes');
    const items = (list.json?.items ?? []) as SandboxJson[];
    const ids = items.map((s) => s.sandboxId);
    client.expect('ListSandboxes', list.status === 200 && ids.includes(first.sandboxId) && ids.includes(second.sandboxId), `the list holds both new sandboxes: ${json(ids)}`);
    client.expect('ListSandboxes', ids.indexOf(second.sandboxId) < ids.indexOf(first.sandboxId), 'the newer claim comes first');
    client.expect(
      'ListSandboxes',
      items.every((s, i) => i === 0 || Date.parse(items[i - 1].claimedAt) >= Date.parse(s.claimedAt)),
      `newest claim first: ${json(items.map((s) => s.claimedAt))}`,
    );
    client.expect('ListSandboxes', list.json?.limit === 20 && list.json?.offset === 0 && list.json?.total >= items.length, `the defaults are echoed: limit ${list.json?.limit}, offset ${list.json?.offset}, total ${list.json?.total}`);

    const filtered = await client.call('ListSandboxes', { query: { poolName, status: 'Running,Starting' } });
    const kept = (filtered.json?.items ?? []) as SandboxJson[];
    client.expect(
      'ListSandboxes',
      kept.some((s) => s.sandboxId === first.sandboxId) && kept.every((s) => s.poolName === poolName && ['Running', 'Starting'].includes(s.status)),
      `poolName and a comma-separated status keep only those: ${json(kept.map((s) => [s.poolName, s.status]))}`,
    );
    const ended = await client.call('ListSandboxes', { query: { status: 'Completed,Failed' } });
    client.expect('ListSandboxes', !((ended.json?.items ?? []) as SandboxJson[]).some((s) => s.sandboxId === first.sandboxId), 'a running sandbox is not listed as Completed or Failed');
    const nowhere = await client.call('ListSandboxes', { query: { poolName: context.unique('no-such-pool') } });
    client.expect('ListSandboxes', nowhere.json?.total === 0 && nowhere.json?.items?.length === 0, `an unknown pool lists nothing: ${json(nowhere.json)}`);

    const page1 = await client.call('ListSandboxes', { query: { limit: 1 } });
    const page2 = await client.call('ListSandboxes', { query: { limit: 1, offset: 1 } });
    client.expect(
      'ListSandboxes',
      page1.json?.limit === 1 && page1.json?.items?.length === 1 && page1.json.items[0].sandboxId === ids[0] && page2.json?.offset === 1 && page2.json?.items?.[0]?.sandboxId === ids[1],
      `limit 1 at offsets 0 and 1 gives the first and second of the list: ${json([page1.json?.items?.[0]?.sandboxId, page2.json?.items?.[0]?.sandboxId])}`,
    );
    const wide = await client.call('ListSandboxes', { query: { limit: 500 } });
    client.expect('ListSandboxes', wide.status === 200 && wide.json?.limit === 500, `limit 500 (the document allows up to 1000) is the page size used, but ${wide.json?.limit} came back`);

    // Release: the followed container ends, so its log stream ends with the meta line.
    const reader = await follow(client, first.sandboxId);
    const deleted = await client.call('DeleteSandbox', { params: { sandboxId: first.sandboxId } });
    client.expect(
      'DeleteSandbox',
      deleted.status === 202 && deleted.json?.sandboxId === first.sandboxId && deleted.json?.podName === first.podName && ['Stopping', 'Terminated'].includes(deleted.json?.status),
      `release answered ${deleted.status} ${json(deleted.json)}`,
    );
    // A stream that does not end means a process that did not stop: that is the release's fault.
    const frames = await reader.rest(client.streamTimeoutMs).catch(async (error: Error) => {
      client.expect('DeleteSandbox', false, `the sandbox's container did not stop: its log stream did not end (${error.message})`);
      await reader.cancel();
      throw new ScenarioStop(`DeleteSandbox: ${error.message}`);
    });
    client.expect('DeleteSandbox', true, "the sandbox's container stopped: its log stream ended");
    checkEnd(client, frames, "once a released sandbox's container stopped", first.podName);

    const final = await sandboxWhen(client, 'DeleteSandbox', first.sandboxId, 'ended', (s) => ENDED.has(s.status));
    const history = await client.call('GetSandbox', { params: { sandboxId: first.sandboxId } });
    client.expect(
      'GetSandbox',
      history.status === 200 && ENDED.has(history.json?.sandbox?.status) && isDate(history.json?.sandbox?.terminatedAt),
      `a released sandbox is still found with its final status: ${history.status} ${json(history.json)}`,
    );
    client.expect('DeleteSandbox', ENDED.has(final.status), `a released sandbox ends up ${final.status}`);
    const again = await client.call('DeleteSandbox', { params: { sandboxId: first.sandboxId } });
    client.expect('DeleteSandbox', again.status === 404 && typeof again.json?.error === 'string', `releasing it again answered ${again.status}`);
    const logs = await client.call('GetSandboxLogs', { params: { sandboxId: first.sandboxId } });
    client.expect('GetSandboxLogs', logs.status === 404, `the log of a released sandbox (no pod left) answered ${logs.status}`);
    const late = await exec(client, first.sandboxId, 'true');
    client.expect('ExecSandboxCommand', late.status === 404, `exec in a released sandbox answered ${late.status}`);
    const after = await client.call('ListSandboxes', { query: { limit: 100 } });
    const listed = ((after.json?.items ?? []) as SandboxJson[]).find((s) => s.sandboxId === first.sandboxId);
    client.expect('ListSandboxes', listed !== undefined && ENDED.has(listed.status), `a released sandbox is still listed, with its final status: ${json(listed)}`);
  },
};

const execScenario: Scenario = {
  name: 'exec',
  operations: ['ExecSandboxCommand', 'CreateSandbox'],
  async run(client, context) {
    const { sandboxId } = await claim(client, context, 'default');
    await running(client, sandboxId);

    const mixed = await exec(client, sandboxId, "printf 'out-1\\n'; printf 'err-1\\n' >&2; exit 7");
    client.expect('ExecSandboxCommand', mixed.status === 200, `a command exiting 7 answered ${mixed.status} (a non-zero exit is still a 200)`);
    client.expect(
      'ExecSandboxCommand',
      mixed.json?.exitCode === 7 && mixed.json?.stdout === 'out-1\n' && mixed.json?.stderr === 'err-1\n',
      `exit code, stdout and stderr of the command: ${json(mixed.json)}`,
    );
    const shell = await exec(client, sandboxId, 'echo $((6 * 7))');
    client.expect('ExecSandboxCommand', shell.json?.exitCode === 0 && shell.json?.stdout === '42\n' && shell.json?.stderr === '', `the command runs in a shell: ${json(shell.json)}`);
    await exec(client, sandboxId, 'echo kept > contract-file');
    const read = await exec(client, sandboxId, 'cat contract-file');
    client.expect('ExecSandboxCommand', read.json?.stdout === 'kept\n', `a file one exec writes is there for the next: ${json(read.json)}`);
    const signalled = await exec(client, sandboxId, 'kill -TERM $$');
    client.expect('ExecSandboxCommand', signalled.json?.exitCode === 143, `a shell killed by SIGTERM exits 128+15, not ${signalled.json?.exitCode}`);

    const started = Date.now();
    const slow = await exec(client, sandboxId, 'sleep 10; echo late', { timeoutSeconds: 1 });
    const took = Date.now() - started;
    client.expect(
      'ExecSandboxCommand',
      took < 6_000 && !(slow.status === 200 && (slow.json?.exitCode === 0 || String(slow.json?.stdout).includes('late'))),
      `timeoutSeconds 1 gives up on 'sleep 10': answered ${slow.status} ${json(slow.json)} after ${took} ms`,
    );

    const missing = await client.call('ExecSandboxCommand', { params: { sandboxId }, json: { timeoutSeconds: 5 } });
    client.expect('ExecSandboxCommand', missing.status === 400 && typeof missing.json?.error === 'string', `a body without command answered ${missing.status}`);
    const wrongType = await client.call('ExecSandboxCommand', { params: { sandboxId }, json: { command: ['echo', 'hi'] } });
    client.expect('ExecSandboxCommand', wrongType.status === 400, `a command that is no string answered ${wrongType.status}`);
    const malformed = await client.call('ExecSandboxCommand', { params: { sandboxId }, raw: '{"command": ', headers: { 'content-type': 'application/json' } });
    client.expect('ExecSandboxCommand', malformed.status === 400, `malformed JSON answered ${malformed.status}`);
    for (const timeoutSeconds of [0, 301]) {
      const out = await exec(client, sandboxId, 'echo ran', { timeoutSeconds });
      client.expect('ExecSandboxCommand', out.status === 400, `timeoutSeconds ${timeoutSeconds} (outside 1..300) answered ${out.status} ${json(out.json)}`);
    }
  },
};

const logs: Scenario = {
  name: 'logs',
  operations: ['GetSandboxLogs', 'CreateSandbox'],
  async run(client, context) {
    const sbx = await claim(client, context, CONTRACT_LOG_POOL.name);
    const sandboxId = sbx.sandboxId;
    // No event says "the container has written its lines"; the log is polled for the last one.
    await waitUntil('the contract pool to write line-5', async () => {
      const res = await client.call('GetSandboxLogs', { params: { sandboxId }, untracked: true });
      return res.status === 200 && (res.json?.entries as LogEntryJson[] | undefined)?.some((e) => e.log === 'line-5');
    });

    const before = Date.now();
    const full = await client.call('GetSandboxLogs', { params: { sandboxId } });
    const entries = (full.json?.entries ?? []) as LogEntryJson[];
    client.expect('GetSandboxLogs', full.status === 200 && same(entries.map((e) => e.log), FIVE_LINES), `the container's lines, stdout and stderr in order: ${json(entries.map((e) => e.log))}`);
    client.expect('GetSandboxLogs', entries.every((e) => e.container === 'sandbox' && isDate(e.timestamp)), `every entry names the sandbox's own container and has its timestamp: ${json(entries)}`);
    client.expect(
      'GetSandboxLogs',
      full.json?.sandboxId === sandboxId && full.json?.podName === sbx.podName && full.json?.namespace === sbx.namespace && full.json?.source === 'live' && full.json?.truncated === false,
      `the snapshot names its sandbox, pod and source, uncut: ${json({ ...full.json, entries: undefined })}`,
    );
    client.expect('GetSandboxLogs', same(full.json?.containers, ['sandbox', 'helper']), `containers lists the sandbox's own first: ${json(full.json?.containers)}`);
    client.expect('GetSandboxLogs', full.json?.totalBytes === undefined || full.json.totalBytes >= 35, `totalBytes covers the 35 bytes written: ${full.json?.totalBytes}`);
    const captured = Date.parse(full.json?.capturedAt);
    client.expect('GetSandboxLogs', isDate(full.json?.capturedAt) && Math.abs(captured - before) < 60_000, `capturedAt says when the snapshot was taken: ${json(full.json?.capturedAt)}`);

    const tail = await client.call('GetSandboxLogs', { params: { sandboxId }, query: { lines: 2 } });
    client.expect('GetSandboxLogs', same(tail.json?.entries?.map((e: LogEntryJson) => e.log), ['line-4', 'line-5']), `lines=2 gives the last two: ${json(tail.json?.entries)}`);
    client.expect('GetSandboxLogs', tail.json?.truncated === true, `lines=2 cut three lines off, yet truncated is ${tail.json?.truncated}`);
    const everything = await client.call('GetSandboxLogs', { params: { sandboxId }, query: { lines: 0 } });
    client.expect('GetSandboxLogs', everything.json?.entries?.length === 5 && everything.json?.truncated === false, `lines=0 gives everything: ${json(everything.json?.entries?.length)}`);
    const stdout = await client.call('GetSandboxLogs', { params: { sandboxId }, query: { source: 'stdout' } });
    client.expect('GetSandboxLogs', stdout.json?.source === 'live' && stdout.json?.entries?.length === 5, `source=stdout is the container output: ${json(stdout.json?.source)}`);

    const helper = await client.call('GetSandboxLogs', { params: { sandboxId }, query: { container: 'helper' } });
    client.expect(
      'GetSandboxLogs',
      same(helper.json?.entries?.map((e: LogEntryJson) => [e.container, e.log]), [['helper', 'helper-ready']]),
      `container=helper reads that container only: ${json(helper.json?.entries)}`,
    );
    const unknown = await client.call('GetSandboxLogs', { params: { sandboxId }, query: { container: 'egress-proxy' } });
    client.expect('GetSandboxLogs', unknown.status === 400 && typeof unknown.json?.error === 'string', `an unknown container answered ${unknown.status}`);
    const runtime = await client.call('GetSandboxLogs', { params: { sandboxId }, query: { source: context.unique('no-such-runtime') } });
    client.expect('GetSandboxLogs', runtime.status === 400, `a runtime source the pool does not have answered ${runtime.status}`);

    for (const lines of ['-1', '10001', 'two']) {
      const res = await client.call('GetSandboxLogs', { params: { sandboxId }, query: { lines } });
      client.expect('GetSandboxLogs', res.status === 400, `lines=${lines} (not an integer in 0..10000) answered ${res.status}`);
    }
  },
};

const logsStream: Scenario = {
  name: 'logs stream',
  operations: ['StreamSandboxLogs', 'ExecSandboxCommand', 'GetSandbox', 'GetSandboxLogs', 'CreateSandbox'],
  async run(client, context) {
    const sbx = await claim(client, context, CONTRACT_LOG_POOL.name);
    const { sandboxId, podName } = sbx;
    const reader = await follow(client, sandboxId);
    const early = await client.readUntil('StreamSandboxLogs', reader, (f) => isMeta(f) || logOf(f) === 'line-5', 'the fifth line of the contract pool');
    client.expect('StreamSandboxLogs', same(early.map(logOf), FIVE_LINES), `the lines so far, in order: ${json(early.map((f) => f.raw))}`);
    const entry = early[0]?.payload as Record<string, unknown> | undefined;
    client.expect(
      'StreamSandboxLogs',
      entry?.container_name === 'sandbox' && entry.pod_name === podName && entry.namespace_name === sbx.namespace && isDate(entry._timestamp),
      `an entry line names its container, pod and namespace, with its timestamp: ${json(entry)}`,
    );

    // A line the container writes only now, while the stream is open and the sandbox runs.
    const word = context.unique('live');
    const poke = await exec(client, sandboxId, `echo ${word} > gate-1`);
    client.expect('ExecSandboxCommand', poke.status === 200 && poke.json?.exitCode === 0, `writing to the pool's fifo answered ${poke.status} ${json(poke.json)}`);
    const live = await client.readUntil('StreamSandboxLogs', reader, (f) => isMeta(f) || (logOf(f) ?? '').includes(word), `the line '${word}'`);
    client.expect('StreamSandboxLogs', logOf(live.at(-1)!) === word, `the live line arrives as written: ${json(live.at(-1)?.raw)}`);
    const during = await client.call('GetSandbox', { params: { sandboxId } });
    client.expect('StreamSandboxLogs', during.json?.sandbox?.status === 'Running', `a line arrives while the sandbox runs (it is ${during.json?.sandbox?.status})`);

    const tail = await follow(client, sandboxId, { lines: '1' });
    const newest = await firstFrame(client, tail, 'the first line of a stream with lines=1');
    await tail.cancel();
    client.expect('StreamSandboxLogs', logOf(newest) === word, `lines=1 starts with the newest line: ${json(newest.raw)}`);
    const lenient = await follow(client, sandboxId, { lines: 'all' });
    const oldest = await firstFrame(client, lenient, "the first line of a stream with lines=all");
    await lenient.cancel();
    client.expect('StreamSandboxLogs', logOf(oldest) === 'line-1', `lines that is no number means everything: ${json(oldest.raw)}`);
    const other = await follow(client, sandboxId, { container: 'helper' });
    const ready = await firstFrame(client, other, 'the first line of the helper container');
    await other.cancel();
    client.expect('StreamSandboxLogs', logOf(ready) === 'helper-ready' && (ready.payload as { container_name?: string }).container_name === 'helper', `container=helper follows that container: ${json(ready.raw)}`);

    const wrong = await follow(client, sandboxId, { container: 'egress-proxy' });
    const complaint = await firstFrame(client, wrong, 'the in-band error for an unknown container');
    client.expect('StreamSandboxLogs', (logOf(complaint) ?? '').startsWith('[agentbox] ') && (logOf(complaint) ?? '').includes('egress-proxy'), `an unknown container is reported in-band: ${json(complaint.raw)}`);
    checkEnd(client, [complaint, ...(await client.readToEnd('StreamSandboxLogs', wrong, 'the stream of an unknown container'))], 'after an unknown container', podName);

    // The container ends with the exit code written to its second fifo.
    const stop = await exec(client, sandboxId, 'echo 3 > gate-2');
    client.expect('ExecSandboxCommand', stop.status === 200, `writing to the pool's second fifo answered ${stop.status}`);
    const rest = await client.readToEnd('StreamSandboxLogs', reader, 'the log stream after its container ended');
    client.expect('StreamSandboxLogs', rest.some((f) => logOf(f) === 'exiting-3'), `the container's last line comes before the end: ${json(rest.map((f) => f.raw))}`);
    checkEnd(client, rest, 'once the container ended', podName);

    const final = await sandboxWhen(client, 'GetSandbox', sandboxId, 'ended', (s) => ENDED.has(s.status));
    const got = await client.call('GetSandbox', { params: { sandboxId } });
    client.expect(
      'GetSandbox',
      got.json?.sandbox?.status === 'Failed' && got.json?.sandbox?.exitCode === 3 && isDate(got.json?.sandbox?.terminatedAt),
      `a sandbox whose container exited 3 is Failed with exitCode 3: ${json(got.json?.sandbox ?? final)}`,
    );
    const refused = await exec(client, sandboxId, 'true');
    client.expect('ExecSandboxCommand', refused.status === 400 && typeof refused.json?.error === 'string', `exec in a sandbox that is no longer Running answered ${refused.status}`);
    const kept = await client.call('GetSandboxLogs', { params: { sandboxId } });
    client.expect(
      'GetSandboxLogs',
      kept.status === 200 && same(kept.json?.entries?.map((e: LogEntryJson) => e.log), [...FIVE_LINES, word, 'exiting-3']),
      `an ended sandbox's pod keeps its log until release: ${json(kept.json?.entries?.map((e: LogEntryJson) => e.log))}`,
    );
    const done = await follow(client, sandboxId);
    const replay = await client.readToEnd('StreamSandboxLogs', done, 'the stream of a container that has ended');
    client.expect('StreamSandboxLogs', same(replay.filter((f) => !isMeta(f)).map(logOf), [...FIVE_LINES, word, 'exiting-3']), `following an ended container gives its log, then ends: ${json(replay.map((f) => f.raw))}`);
    checkEnd(client, replay, 'for an ended container', podName);
  },
};

const invalidInput: Scenario = {
  name: 'invalid input',
  operations: ['CreateSandbox', 'ListSandboxes'],
  async run(client, context) {
    // Anything a target wrongly accepts is released again.
    const create = async (options: CallOptions) => {
      const res = await client.call('CreateSandbox', options);
      const id = res.json?.sandbox?.sandboxId;
      if (res.status === 201 && id) context.cleanup(() => client.call('DeleteSandbox', { params: { sandboxId: id }, untracked: true }));
      return res;
    };
    const noPool = await create({ json: { metadata: { run: 'x' } } });
    client.expect('CreateSandbox', noPool.status === 400 && /poolName/.test(noPool.json?.error ?? ''), `a body without poolName answered ${noPool.status} ${json(noPool.json)}`);
    const blank = await create({ json: { poolName: '  ' } });
    client.expect('CreateSandbox', blank.status === 400, `a blank poolName answered ${blank.status}`);
    const malformed = await create({ raw: '{"poolName": ', headers: { 'content-type': 'application/json' } });
    client.expect('CreateSandbox', malformed.status === 400 && typeof malformed.json?.error === 'string', `malformed JSON answered ${malformed.status}`);
    const badDuration = await create({ json: { poolName: poolOf(client, 'default'), idleTimeout: 'soon' } });
    client.expect('CreateSandbox', badDuration.status === 400, `an idleTimeout that does not parse answered ${badDuration.status}`);

    const missing = context.unique('no-such-pool');
    const unknown = await create({ json: { poolName: missing } });
    const pools = unknown.json?.detail?.availablePools as Array<{ name?: unknown }> | undefined;
    client.expect(
      'CreateSandbox',
      unknown.status === 404 && (unknown.json?.error ?? '').includes(missing) && Array.isArray(pools) && pools.every((p) => typeof p.name === 'string') && typeof unknown.json?.detail?.hint === 'string',
      `an unknown pool answered ${unknown.status} ${json(unknown.json)}`,
    );
    // Where the suite knows a pool that exists (the emulator's own, or AGENTBOX_POOL), it is offered.
    if (!client.target.pools || client.target.pools.default) {
      client.expect('CreateSandbox', Array.isArray(pools) && pools.some((p) => p.name === poolOf(client, 'default')), `availablePools offers '${poolOf(client, 'default')}': ${json(pools)}`);
    }

    const outOfBounds: Array<Record<string, string | number>> = [{ limit: 1001 }, { limit: 0 }, { offset: -1 }, { limit: 'ten' }];
    for (const query of outOfBounds) {
      const res = await client.call('ListSandboxes', { query });
      client.expect('ListSandboxes', res.status === 400 && typeof res.json?.error === 'string', `${json(query)} answered ${res.status}`);
    }
  },
};

const AUTH_OPERATIONS = ['CreateSandbox', 'ListSandboxes', 'GetSandbox', 'DeleteSandbox', 'ExecSandboxCommand', 'GetSandboxLogs', 'StreamSandboxLogs'];

const auth: Scenario = {
  name: 'auth',
  operations: AUTH_OPERATIONS,
  async run(client, context) {
    if (!client.target.headers?.[KEY_HEADER]) {
      // A target that takes no key (an emulator at a URL, started without --agentbox-token) has
      // no 401 to check; what nothing else exercised says so instead of passing.
      for (const op of AUTH_OPERATIONS) client.recorder.skip(op, `the target is called without ${KEY_HEADER}, so its 401 answers were not checked`);
      return;
    }
    const sandboxId = randomUUID();
    for (const key of ['', 'agbx_wrong']) {
      const what = key ? 'a wrong key' : 'no key';
      const headers = { [KEY_HEADER]: key };
      const calls: Array<[string, CallOptions]> = [
        ['CreateSandbox', { json: { poolName: poolOf(client, 'default') } }],
        ['ListSandboxes', {}],
        ['GetSandbox', { params: { sandboxId } }],
        ['DeleteSandbox', { params: { sandboxId } }],
        ['ExecSandboxCommand', { params: { sandboxId }, json: { command: 'true' } }],
        ['GetSandboxLogs', { params: { sandboxId } }],
      ];
      for (const [op, options] of calls) {
        const res = await client.call(op, { ...options, headers });
        const created = res.json?.sandbox?.sandboxId;
        if (res.status === 201 && created) context.cleanup(() => client.call('DeleteSandbox', { params: { sandboxId: created }, untracked: true }));
        client.expect(op, res.status === 401 && typeof res.json?.error === 'string' && res.json.error !== '', `a call with ${what} answered ${res.status} ${json(res.json)}`);
      }
      // Checked before the stream starts: a JSON 401, not an in-band line.
      const res = await client.stream('StreamSandboxLogs', { params: { sandboxId }, headers });
      if ('reader' in res) await res.reader.cancel();
      client.expect('StreamSandboxLogs', res.status === 401 && !('reader' in res) && typeof res.json === 'object', `a stream with ${what} answered ${res.status} ${res.mediaType}`);
    }
  },
};

const unknownIds: Scenario = {
  name: 'unknown ids',
  operations: ['GetSandbox', 'DeleteSandbox', 'ExecSandboxCommand', 'GetSandboxLogs', 'StreamSandboxLogs'],
  async run(client) {
    const sandboxId = randomUUID();
    for (const op of ['GetSandbox', 'DeleteSandbox', 'GetSandboxLogs']) {
      const res = await client.call(op, { params: { sandboxId } });
      client.expect(op, res.status === 404 && typeof res.json?.error === 'string', `an unknown id answered ${res.status}`);
    }
    const res = await exec(client, sandboxId, 'true');
    client.expect('ExecSandboxCommand', res.status === 404 && typeof res.json?.error === 'string', `an unknown id answered ${res.status}`);

    // Always 200: the failure comes in-band, then the meta line (no pod, so no pod_name).
    const reader = await follow(client, sandboxId);
    const first = await firstFrame(client, reader, 'the in-band error for an unknown sandbox');
    client.expect('StreamSandboxLogs', (logOf(first) ?? '').startsWith('[agentbox] ') && (logOf(first) ?? '').includes(sandboxId), `an unknown sandbox is reported in-band, naming it: ${json(first.raw)}`);
    checkEnd(client, [first, ...(await client.readToEnd('StreamSandboxLogs', reader, 'the stream of an unknown sandbox'))], 'for an unknown sandbox', undefined);
  },
};

export const agentboxSuite: ContractSuite = {
  provider: 'agentbox',
  async surfaces(specsDir) {
    return [{ mountId: 'agentbox', spec: await loadSpec(join(specsDir, 'agentbox.yaml')) }];
  },
  scenarios: [ping, auth, sandboxes, execScenario, logs, logsStream, invalidInput, unknownIds],
  emulator: { pools: [CONTRACT_LOG_POOL], auth: { token: CONTRACT_KEY, headers: { [KEY_HEADER]: CONTRACT_KEY } } },
};
