import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { createEmulator, type Emulator } from '../../emulator/index.ts';
import { DEFAULT_SPECS_DIR } from '../../emulator/openapi/specs-dir.ts';
import { blaxelSuite } from '../blaxel/blaxel.suite.ts';
import { runSuite, type SuiteReport } from './contract-suite.ts';
import { formatTable } from './report.ts';
import { emulatorBaseUrl } from './targets/emulator-layout.ts';

// The suite proves it can fail: a target that is the real emulator behind a proxy that breaks
// four operations on purpose. Each fault must be reported against its operation and check.

const FAULTS = {
  /** getProcess: a 200 whose body lacks the required `workingDir`. */
  missingField: /^\/blaxel\/sandboxes\/[^/]+\/process\/[^/]+$/,
  /** stopProcess (DELETE on the same path): a status the spec does not declare. */
  undeclaredStatus: 418,
  /** getProcessLogs: the right JSON under the wrong media type. */
  wrongContentType: /\/logs$/,
  /**
   * streamProcessLogs of the 'logs stream' scenario (its process is named follow-...): the first
   * frame, then silence with the connection held open. Other scenarios' streams pass.
   */
  endlessStream: /\/process\/(\d+)\/logs\/stream$/,
};

let emulator: Emulator;
let proxy: Server;
let report: SuiteReport;
const held: Array<() => void> = [];
/** pid -> name of every process started through the proxy. */
const names = new Map<string, string>();

beforeAll(async () => {
  emulator = await createEmulator({ port: 0, providers: ['blaxel'] });
  const upstream = (await emulator.listen()).origin;
  proxy = createServer(async (req, res) => {
    const url = req.url ?? '/';
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (req.method === 'DELETE' && FAULTS.missingField.test(url)) {
      res.writeHead(FAULTS.undeclaredStatus, { 'content-type': 'application/json' }).end('{"message":"I am a teapot"}');
      return;
    }
    const streamed = req.method === 'GET' ? FAULTS.endlessStream.exec(url) : null;
    if (streamed && names.get(streamed[1])?.startsWith('follow-')) {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      res.write('stdout:first\n');
      held.push(() => res.destroy());
      return;
    }
    const answer = await fetch(upstream + url, {
      method: req.method,
      headers: Object.fromEntries(Object.entries(req.headers).filter(([k]) => k !== 'host' && k !== 'content-length') as [string, string][]),
      body: chunks.length > 0 ? Buffer.concat(chunks) : undefined,
    });
    const type = answer.headers.get('content-type') ?? 'application/octet-stream';
    if (!/json/.test(type) && answer.body) {
      // Streams pass through as they come: the suite paces some processes by what it reads.
      res.writeHead(answer.status, { 'content-type': type });
      Readable.fromWeb(answer.body as never).pipe(res);
      return;
    }
    let body = Buffer.from(await answer.arrayBuffer());
    if (req.method === 'POST' && url.endsWith('/process') && answer.status === 200) {
      try {
        const started = JSON.parse(body.toString());
        names.set(started.pid, started.name);
      } catch {
        // A streamed start: not one the faults need.
      }
    }
    const headers: Record<string, string> = { 'content-type': type };
    if (req.method === 'GET' && FAULTS.missingField.test(url) && answer.status === 200) {
      const json = JSON.parse(body.toString());
      delete json.workingDir;
      body = Buffer.from(JSON.stringify(json));
    }
    if (req.method === 'GET' && FAULTS.wrongContentType.test(url)) headers['content-type'] = 'text/html';
    res.writeHead(answer.status, headers).end(body);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  report = await runSuite(
    blaxelSuite,
    { name: 'wrong', baseUrl: emulatorBaseUrl(origin), fetch: globalThis.fetch, async close() {} },
    { specsDir: DEFAULT_SPECS_DIR, streamTimeoutMs: 1_000, only: ['exec and output', 'stop and kill', 'logs stream'] },
  );
}, 60_000);

afterAll(async () => {
  for (const release of held) release();
  proxy?.closeAllConnections();
  await new Promise((resolve) => proxy?.close(resolve));
  await emulator?.close();
});

function failure(operationId: string, check: string): string | undefined {
  return report.results.find((r) => r.operationId === operationId && r.check === check && r.status === 'fail')?.reason;
}

describe('the contract suite against a deliberately wrong target', () => {
  it('names a missing required field', () => {
    expect(failure('getProcess', 'schema')).toMatch(/must have required property 'workingDir'/);
  });

  it('names an undeclared status', () => {
    expect(failure('stopProcess', 'status')).toMatch(/status 418 is not declared \(declared: 200, 401, 404/);
  });

  it('names a wrong content type', () => {
    expect(failure('getProcessLogs', 'content-type')).toMatch(/media type 'text\/html' is not declared \(declared: application\/json\)/);
  });

  it('names a stream that never ends instead of hanging', () => {
    expect(failure('streamProcessLogs', 'behaviour') ?? failure('streamProcessLogs', 'frames')).toMatch(/within 1000 ms/);
  });

  it('still passes what the target does right, and prints the faults in its table', () => {
    expect(report.results.find((r) => r.operationId === 'listProcesses' && r.check === 'behaviour')?.status).toBe('pass');
    const table = formatTable(report);
    expect(table).toMatch(/getProcess\s+pass\s+pass\s+FAIL/);
    expect(table).toMatch(/\d+ passed, [1-9]\d* failed/);
  });
});
