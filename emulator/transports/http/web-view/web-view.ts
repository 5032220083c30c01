import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EmulatorApp } from '../../../app.ts';
import type { ActivityEvent } from '../../../core/activity.ts';
import type { ManagedProcess } from '../../../core/managed-process.ts';
import type { EmuRequest, EmuResponse } from '../../../kernel/exchange.ts';
import { envelope } from '../../../providers/e2b/connect-envelope.ts';
import { httpUrlFor } from '../http-routes.ts';
import { PAGE_CSS, PAGE_HTML, PAGE_SCRIPT } from './page.ts';

/**
 * The web view: a page served by the emulator itself, under /_emulator/, that shows every
 * provider's sandboxes and their processes as they come and go, follows a process's output, and
 * lets the user kill a process, write to its stdin or start a command. It reads the emulator's
 * own state and activity feed (core/activity.ts), never a provider's answers, so no provider's
 * dialect changes; a command it starts goes through the provider's own API, as a client's would.
 *
 * Its API, all JSON or Server-Sent Events, same-origin only:
 *   GET  /_emulator/api/state     sandboxes, processes, recent requests, what is in force
 *   GET  /_emulator/api/events    the same, as it changes (event: sandbox, process, request)
 *   GET  /_emulator/api/output    ?provider&sandbox&process: a process's output, then live
 *   POST /_emulator/api/kill      { provider, sandbox, process }
 *   POST /_emulator/api/stdin     { provider, sandbox, process, text }
 *   POST /_emulator/api/start     { provider, sandbox, command }
 */
export const WEB_VIEW_PATH = '/_emulator/';

/** What the view shows as in force beside the providers: fidelity, quirks, faults. */
export interface InForce {
  fidelity: string;
  quirks: readonly string[];
  faults: readonly unknown[];
}

export interface RequestEntry {
  time: number;
  method: string;
  path: string;
  status: number | 'reset';
  ms: number;
}

/** Requests kept for the view: enough to scroll back through a test's run. */
const REQUESTS_KEPT = 200;
/** A comment line that keeps proxies and the browser from timing out an idle event stream. */
const HEARTBEAT_MS = 15_000;

export interface ProcessView {
  provider: string;
  sandbox: string;
  handle: number;
  pid: number;
  command: string;
  name?: string;
  status: 'running' | 'exited' | 'killed' | 'stopped' | 'signalled';
  exitCode: number | null;
  signal: string | null;
  startedAt: number;
  endedAt: number | null;
}

function processView(provider: string, sandbox: string, proc: ManagedProcess): ProcessView {
  const exit = proc.exitInfo;
  const status = !exit ? 'running' : proc.requested === 'kill' ? 'killed' : proc.requested === 'stop' ? 'stopped' : exit.signal ? 'signalled' : 'exited';
  return {
    provider,
    sandbox,
    handle: proc.handle,
    pid: proc.pid,
    command: [proc.spec.command, ...proc.spec.args].join(' '),
    name: proc.name,
    status,
    exitCode: exit?.exitCode ?? null,
    signal: exit?.signal ?? null,
    startedAt: proc.startedAt,
    endedAt: exit?.endedAt ?? null,
  };
}

export class WebView {
  private readonly requests: RequestEntry[] = [];
  private readonly watchers = new Set<ServerResponse>();
  private readonly stopListening: () => void;
  private readonly heartbeat: NodeJS.Timeout;

  constructor(
    private readonly app: EmulatorApp,
    private readonly inForce: InForce,
  ) {
    this.stopListening = app.activity.on((event) => this.broadcast(...describe(event)));
    this.heartbeat = setInterval(() => {
      for (const res of this.watchers) res.write(': still here\n\n');
    }, HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  /** True for a path the view serves. */
  static owns(pathname: string): boolean {
    return pathname === '/_emulator' || pathname.startsWith(WEB_VIEW_PATH);
  }

  /** A request answered by a provider (or refused before one): shown in the request log. */
  noteRequest(entry: RequestEntry): void {
    this.requests.push(entry);
    if (this.requests.length > REQUESTS_KEPT) this.requests.shift();
    this.broadcast('request', entry);
  }

  /** Ends every event stream of the view; the server closes after. */
  close(): void {
    this.stopListening();
    clearInterval(this.heartbeat);
    for (const res of this.watchers) res.end();
    this.watchers.clear();
  }

  /** Serves a request under /_emulator/; `crossOrigin` when an allowed page of another origin sent it. */
  async serve(req: IncomingMessage, res: ServerResponse, url: URL, crossOrigin: boolean): Promise<number> {
    const method = (req.method ?? 'GET').toUpperCase();
    const path = url.pathname;
    if (path === '/_emulator') return redirect(res, WEB_VIEW_PATH);
    // The page and its API are the emulator's own: another origin, even one allowed to call the
    // providers (--allow-origin), may not read every sandbox's output or run commands through it.
    if (crossOrigin) return text(res, 403, 'Failed to serve the request: the web view answers only its own page.');
    if (method === 'GET') {
      if (path === WEB_VIEW_PATH) return page(res, 'text/html; charset=utf-8', PAGE_HTML);
      if (path === `${WEB_VIEW_PATH}app.js`) return page(res, 'text/javascript; charset=utf-8', PAGE_SCRIPT);
      if (path === `${WEB_VIEW_PATH}app.css`) return page(res, 'text/css; charset=utf-8', PAGE_CSS);
      if (path === `${WEB_VIEW_PATH}api/state`) return json(res, 200, this.state());
      if (path === `${WEB_VIEW_PATH}api/events`) return this.events(req, res);
      if (path === `${WEB_VIEW_PATH}api/output`) return this.output(req, res, url.searchParams);
    }
    if (method === 'POST' && path.startsWith(`${WEB_VIEW_PATH}api/`)) {
      if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) return json(res, 415, { error: 'Send the action as application/json.' });
      let body: Record<string, unknown>;
      try {
        body = JSON.parse((await readAll(req, 1024 * 1024)).toString('utf8')) as Record<string, unknown>;
      } catch {
        return json(res, 400, { error: 'The action is not JSON (or is over 1 MiB).' });
      }
      if (path === `${WEB_VIEW_PATH}api/kill`) return this.kill(res, body);
      if (path === `${WEB_VIEW_PATH}api/stdin`) return this.stdin(res, body);
      if (path === `${WEB_VIEW_PATH}api/start`) return this.start(res, body);
    }
    return json(res, 404, { error: `The web view has no ${method} ${path}. Open ${WEB_VIEW_PATH}.` });
  }

  private state() {
    return {
      providers: this.app.providers.map((provider) => ({
        name: provider.name,
        sandboxes: provider.sandboxes().map((sandbox) => ({
          id: sandbox.id,
          createdAt: sandbox.createdAt,
          processes: sandbox.processes.list().map((proc) => processView(provider.name, sandbox.id, proc)),
        })),
      })),
      requests: this.requests,
      inForce: this.inForce,
    };
  }

  private events(req: IncomingMessage, res: ServerResponse): number {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
    res.write(': the emulator’s activity\n\n');
    this.watchers.add(res);
    req.once('close', () => this.watchers.delete(res));
    return 200;
  }

  private broadcast(event: string, data: unknown): void {
    if (this.watchers.size === 0) return;
    const frame = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const res of this.watchers) res.write(frame);
  }

  private find(body: Record<string, unknown> | URLSearchParams): { provider: string; sandbox: string; proc: ManagedProcess } | undefined {
    const get = (key: string) => (body instanceof URLSearchParams ? body.get(key) : body[key]);
    const provider = this.app.providers.find((p) => p.name === get('provider'));
    const sandbox = provider?.sandboxes().find((s) => s.id === get('sandbox'));
    const proc = sandbox?.processes.byHandle(Number(get('process')));
    return provider && sandbox && proc ? { provider: provider.name, sandbox: sandbox.id, proc } : undefined;
  }

  /** A process's output so far, then as it comes, one event per read; `end` with the exit. */
  private async output(req: IncomingMessage, res: ServerResponse, query: URLSearchParams): Promise<number> {
    const found = this.find(query);
    if (!found) return json(res, 404, { error: 'No such process (it may have been forgotten, or its sandbox deleted).' });
    const controller = new AbortController();
    req.once('close', () => controller.abort());
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
    const { proc } = found;
    // The browser keeps a bounded tail; here only what the log still holds is replayed.
    for await (const chunk of proc.output.follow({ signal: controller.signal })) {
      const ok = res.write(`event: output\ndata: ${JSON.stringify({ stream: chunk.stream, text: chunk.data.toString('utf8') })}\n\n`);
      if (!ok) await new Promise((resolve) => res.once('drain', resolve));
    }
    if (!controller.signal.aborted) {
      await proc.done;
      res.end(`event: end\ndata: ${JSON.stringify(processView(found.provider, found.sandbox, proc))}\n\n`);
    }
    return 200;
  }

  private kill(res: ServerResponse, body: Record<string, unknown>): number {
    const found = this.find(body);
    if (!found) return json(res, 404, { error: 'No such process.' });
    found.proc.kill();
    return json(res, 202, { killed: true });
  }

  private async stdin(res: ServerResponse, body: Record<string, unknown>): Promise<number> {
    const found = this.find(body);
    if (!found) return json(res, 404, { error: 'No such process.' });
    if (typeof body.text !== 'string') return json(res, 400, { error: 'Send the bytes as a string in `text`.' });
    if (!found.proc.stdinWritable) return json(res, 409, { error: 'This process’s stdin is closed (it was started without one, or it has ended).' });
    try {
      await found.proc.writeStdin(Buffer.from(body.text, 'utf8'));
    } catch (error) {
      return json(res, 409, { error: `Failed to write to stdin: ${(error as Error).message}` });
    }
    return json(res, 202, { written: Buffer.byteLength(body.text) });
  }

  /**
   * Starts a command through the provider's own API, so that the provider keeps its records of
   * it (Blaxel's process list, Tensorlake's pids) exactly as for a client's request.
   */
  private async start(res: ServerResponse, body: Record<string, unknown>): Promise<number> {
    const { provider, sandbox, command } = body;
    if (typeof command !== 'string' || command.trim() === '' || typeof sandbox !== 'string' || sandbox === '') {
      return json(res, 400, { error: 'Send `provider`, `sandbox` and a non-empty `command`.' });
    }
    const call = START_CALLS[String(provider)];
    if (!call || !this.app.has(call.mountId)) return json(res, 400, { error: `No provider '${String(provider)}' is served here.` });
    const ask: Ask = (mountId, vars, request) => this.app.handle(mountId, vars, request, (id, v) => httpUrlFor('', id, v));
    const [vars, request] = await call.request(sandbox, command, ask);
    const answer = ask(call.mountId, vars, request);
    // AgentBox's exec answers when the command has ended: the view does not wait for that.
    if (call.answersAtEnd) {
      void answer.catch(() => undefined);
      return json(res, 202, { started: true });
    }
    const response = await answer;
    const value = response.body?.kind === 'json' ? response.body.value : undefined;
    return json(res, response.status < 300 ? 202 : response.status, { status: response.status, answer: value });
  }
}

/** A request to one of the app's mounts, answered as a client's would be. */
type Ask = (mountId: string, vars: Record<string, string>, request: EmuRequest) => Promise<EmuResponse>;

/**
 * How the view asks each provider to start a shell command, with the provider's own request;
 * `ask` serves a request the provider's client would make first (E2B's token).
 */
const START_CALLS: Record<string, { mountId: string; answersAtEnd?: boolean; request(sandbox: string, command: string, ask: Ask): Promise<[Record<string, string>, EmuRequest]> }> = {
  blaxel: { mountId: 'blaxel-sandbox', request: async (sandbox, command) => [{ sandbox, workspace: 'local' }, jsonRequest('/process', { command })] },
  tensorlake: { mountId: 'tensorlake-runtime', request: async (sandbox, command) => [{ sandbox }, jsonRequest('/api/v1/processes', { command: 'sh', args: ['-c', command] })] },
  agentbox: { mountId: 'agentbox', answersAtEnd: true, request: async (sandbox, command) => [{}, jsonRequest(`/v1/sandboxes/${encodeURIComponent(sandbox)}/exec`, { command })] },
  // envd's Start, as the SDK sends it: one Connect envelope, the sandbox in a header, and a
  // secure sandbox's token, which the SDK holds from create and the view reads from GET
  // /sandboxes/{id}. Its answer is a stream, whose head says at once whether the sandbox runs;
  // the stream is not read (the process runs whether anyone reads its events or not).
  e2b: {
    mountId: 'e2b-envd',
    request: async (sandbox, command, ask) => {
      const detail = await ask('e2b-api', {}, { ...jsonRequest(`/sandboxes/${encodeURIComponent(sandbox)}`, {}), method: 'GET', body: Buffer.alloc(0) });
      const token = detail.status === 200 && detail.body?.kind === 'json' ? (detail.body.value as { envdAccessToken?: string }).envdAccessToken : undefined;
      const body = Buffer.from(envelope({ process: { cmd: '/bin/sh', args: ['-c', command] } }).data);
      const headers = { 'content-type': 'application/connect+json', 'e2b-sandbox-id': sandbox, ...(token && { 'x-access-token': token }) };
      return [{}, { ...jsonRequest('/process.Process/Start', {}), headers, body }];
    },
  },
};

function jsonRequest(path: string, value: unknown): EmuRequest {
  return {
    method: 'POST',
    path,
    query: new URLSearchParams(),
    headers: { 'content-type': 'application/json' },
    body: Buffer.from(JSON.stringify(value)),
    signal: new AbortController().signal,
  };
}

function describe(event: ActivityEvent): [string, unknown] {
  switch (event.type) {
    case 'sandbox-created':
      return ['sandbox', { provider: event.provider, id: event.sandboxId, createdAt: event.createdAt }];
    case 'sandbox-deleted':
      return ['sandbox-deleted', { provider: event.provider, id: event.sandboxId }];
    default:
      return ['process', processView(event.provider, event.sandboxId, event.process)];
  }
}

function page(res: ServerResponse, type: string, body: string): number {
  // The page loads nothing from elsewhere and runs no inline script.
  res.writeHead(200, {
    'content-type': type,
    'cache-control': 'no-store',
    'content-security-policy': "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
    'x-content-type-options': 'nosniff',
  });
  res.end(body);
  return 200;
}

function json(res: ServerResponse, status: number, value: unknown): number {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(body);
  return status;
}

function text(res: ServerResponse, status: number, body: string): number {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(body);
  return status;
}

function redirect(res: ServerResponse, to: string): number {
  res.writeHead(308, { location: to }).end();
  return 308;
}

async function readAll(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new Error('too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
