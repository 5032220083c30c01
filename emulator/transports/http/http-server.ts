import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { EmulatorApp } from '../../app.ts';
import { framesIn, headOf, StreamCut, type StreamItem } from '../../kernel/frames.ts';
import { type EmuRequest, type EmuResponse } from '../../kernel/exchange.ts';
import { DROPPED_HEADER, REASON_HEADER } from '../../kernel/emulator-headers.ts';
import { isLargeAnswer, jsonByteLength, jsonChunks } from '../json-chunks.ts';
import { checkBrowserAccess, corsHeaders, type BrowserGuardOptions } from './browser-guard.ts';
import { endOfTurn } from './end-of-turn.ts';
import { httpUrlFor, matchRoute } from './http-routes.ts';
import { parseRequestUrl, type RequestUrl } from './request-url.ts';
import { WebView, type InForce } from './web-view/web-view.ts';

export interface HttpServerOptions extends BrowserGuardOptions {
  /** Default 127.0.0.1: the emulator runs untrusted commands and must not face a network by accident. */
  host?: string;
  /** Default 4747; 0 picks a free port. */
  port?: number;
  /**
   * Largest request body accepted. Default 32 MiB: above any stdin write or JSON body the
   * providers take, below what would strain the emulator's memory.
   */
  maxBodyBytes?: number;
  /** One line per request. Default: none. */
  log?: (line: string) => void;
  /** The web view under /_emulator/ (see web-view/web-view.ts), with what it shows as in force; off when absent. */
  webView?: InForce;
}

/** Thrown by listen() when the port cannot be bound, with a message fit for one line. */
export class ListenError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = 'ListenError';
  }
}

/** One node:http server, every provider under its own prefix. */
export class HttpTransport {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private origin = '';
  private readonly webView?: WebView;

  constructor(
    private readonly app: EmulatorApp,
    private readonly options: HttpServerOptions = {},
  ) {
    // 1 MiB of request line and headers, as Go's net/http allows (Blaxel, AgentBox): a long id
    // gets the provider's own answer instead of Node's bare 431.
    this.server = createServer({ maxHeaderSize: 1024 * 1024 }, (req, res) => {
      void this.serve(req, res);
    });
    if (options.webView) this.webView = new WebView(app, options.webView);
    // Streams stay open as long as processes run: no request timeout, as on the real servers.
    this.server.requestTimeout = 0;
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  async listen(): Promise<{ host: string; port: number; origin: string }> {
    const host = this.options.host ?? '127.0.0.1';
    const port = this.options.port ?? 4747;
    await new Promise<void>((resolve, reject) => {
      const onError = (error: NodeJS.ErrnoException) => {
        const reason = error.code === 'EADDRINUSE' ? `port ${port} on ${host} is already in use` : error.message;
        reject(new ListenError(error.code ?? 'EUNKNOWN', `Failed to listen: ${reason}. Pick another port with --port.`));
      };
      this.server.once('error', onError);
      this.server.listen(port, host, () => {
        this.server.off('error', onError);
        resolve();
      });
    });
    const address = this.server.address() as AddressInfo;
    const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    this.origin = `http://${shownHost}:${address.port}`;
    return { host: address.address, port: address.port, origin: this.origin };
  }

  get url(): string {
    return this.origin;
  }

  /** Stops accepting, cuts open streams, and resolves when the server is closed. */
  async close(): Promise<void> {
    this.webView?.close();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    let url: RequestUrl;
    try {
      url = parseRequestUrl(req.url ?? '/');
    } catch {
      // A target URL parsing refuses (`//`, a host with no name) reaches no provider. It used to
      // throw here, outside any catch, and end the emulator.
      writeFallback(res, 400, `Failed to read the request: the target '${req.url}' is not a path. Send a path such as /blaxel/sandboxes/my-box/process.`);
      this.options.log?.(`${req.method} ${req.url} 400 ${Date.now() - started}ms`);
      return;
    }
    // Before anything reads the body or reaches a provider: a refused page costs nothing.
    const method = (req.method ?? 'GET').toUpperCase();
    const guard = checkBrowserAccess(method, req.headers, this.options, this.options.host ?? '127.0.0.1');
    if (!guard.ok) {
      writeFallback(res, guard.status, guard.message);
      req.resume();
      this.options.log?.(`${req.method} ${url.pathname}${url.search} ${guard.status} ${Date.now() - started}ms (refused: ${guard.status === 415 ? 'text/plain from a browser' : req.headers.origin ? `origin ${req.headers.origin}` : `host ${req.headers.host}`})`);
      return;
    }
    if (guard.preflight && guard.corsOrigin) {
      // An allowed page asks before its real request; every provider gets the same answer.
      res.writeHead(204, corsHeaders(guard.corsOrigin, String(req.headers['access-control-request-headers'] ?? ''))).end();
      this.options.log?.(`${req.method} ${url.pathname}${url.search} 204 ${Date.now() - started}ms (preflight)`);
      return;
    }
    if (this.webView && WebView.owns(url.pathname)) {
      // The view's own requests are not provider requests: they stay out of its request log.
      const viewStatus = await this.webView.serve(req, res, new URL(`${url.pathname}${url.search}`, 'http://view'), guard.corsOrigin !== undefined).catch(() => {
        if (!res.headersSent) writeFallback(res, 500, 'Failed to serve the web view.');
        else res.destroy();
        return 500;
      });
      this.options.log?.(`${req.method} ${url.pathname}${url.search} ${viewStatus} ${Date.now() - started}ms (web view)`);
      return;
    }
    const controller = new AbortController();
    // 'close' on the response fires when it finished or when the client went away; only the
    // second is an abort (aborting every finished request cost a DOMException with a stack each).
    res.once('close', () => {
      if (!res.writableFinished) controller.abort();
    });
    let status: number | 'reset' = 0;
    /** Said after the status in the log line: output the answer could not carry. */
    let note = '';
    try {
      const route = matchRoute(url.pathname);
      if (!route || !this.app.has(route.mountId)) {
        status = 404;
        writeFallback(res, 404, `Failed to route ${req.method} ${url.pathname}: no provider is served there. Use /blaxel, /tensorlake, /agentbox or /e2b.`);
        return;
      }
      // An upload (an operation whose body the spec streams) goes to its handler unread, with
      // no limit here: the handler bounds what it stores. Every other body is read whole.
      const streamed = this.app.streamsBody(route.mountId, method, route.rest);
      const body = streamed ? EMPTY_BODY : await readBody(req, this.options.maxBodyBytes ?? 32 * 1024 * 1024);
      if (body === 'too-large') {
        status = 413;
        writeFallback(res, 413, 'Failed to read the request: the body is larger than the emulator accepts.');
        return;
      }
      const request: EmuRequest = {
        method,
        path: route.rest,
        query: url.searchParams,
        headers: lowerCaseHeaders(req),
        body,
        bodyStream: streamed ? unreadBody(req) : undefined,
        // A getter: most answers never look at the signal, and building one (an AbortSignal is
        // made on first read) cost more than the rest of this object.
        get signal() {
          return controller.signal;
        },
      };
      // URLs handed out (a sandbox's metadata.url, sandbox_url) use the host the client reached
      // us by: behind a published container port or a proxy, our own bind address is useless.
      const origin = req.headers.host ? `http://${req.headers.host}` : this.origin;
      const response = await this.app.handle(route.mountId, route.vars, request, (mountId, vars) => httpUrlFor(origin, mountId, vars));
      status = response.fault?.kind === 'reset' ? 'reset' : response.status;
      const dropped = response.headers[DROPPED_HEADER];
      if (dropped) note = ` (output cut: ${dropped} bytes dropped)`;
      const reason = response.headers[REASON_HEADER];
      if (reason) note += ` (${reason})`;
      if (guard.corsOrigin) response.headers = { ...response.headers, ...corsHeaders(guard.corsOrigin) };
      // A streamed body the handler did not read to its end (it refused the upload): close the
      // connection after the answer, rather than let node read up to a GiB only to drop it.
      if (streamed && !req.readableEnded) res.shouldKeepAlive = false;
      // An answer waits for the end of the turn, to go out with the others of the turn (see
      // endOfTurn); a stream starts at once, its frames batched by FrameWriter. Only a stream
      // watches for the client going away.
      if (response.body?.kind !== 'stream') await endOfTurn();
      await writeResponse(res, response, response.body?.kind === 'stream' ? controller.signal : NOT_WATCHED);
    } catch (error) {
      status = 500;
      if (!res.headersSent) writeFallback(res, 500, `Failed to serve the request: ${(error as Error).message}`);
      else res.destroy();
    } finally {
      this.options.log?.(`${req.method} ${url.pathname}${url.search} ${status} ${Date.now() - started}ms${note}`);
      this.webView?.noteRequest({ time: started, method, path: `${url.pathname}${url.search}`, status, ms: Date.now() - started });
    }
  }
}

/** The signal handed to writeResponse for an answer that is not a stream, which never reads it. */
const NOT_WATCHED = new AbortController().signal;

async function writeResponse(res: ServerResponse, response: EmuResponse, signal: AbortSignal): Promise<void> {
  if (response.fault?.kind === 'reset') {
    // An injected fault: the client sees the connection reset, with no answer at all.
    if (res.socket) res.socket.resetAndDestroy();
    else res.destroy();
    return;
  }
  const body = response.body;
  const headers = { ...response.headers };
  if (!body) {
    res.writeHead(response.status, headers).end();
    return;
  }
  if (body.kind === 'stream') {
    res.writeHead(response.status, headers);
    res.flushHeaders();
    // An injected fault may cut the stream after some frames; a shorter stream ends cleanly.
    const cutAfter = response.fault?.kind === 'cut' ? response.fault.afterFrames : Infinity;
    const iterator = body.frames[Symbol.asyncIterator]();
    const out = new FrameWriter(res, signal);
    let dropped = false;
    try {
      try {
        while (!signal.aborted && out.taken < cutAfter) {
          // Respect back-pressure: a slow reader slows the follower instead of filling memory.
          const blocked = out.blocked();
          if (blocked) {
            await blocked;
            if (signal.aborted) break;
          }
          let next: IteratorResult<StreamItem>;
          try {
            next = await iterator.next();
          } catch (error) {
            // The provider's own dropped connection (its machine went away): a cut, not a failure.
            if (!(error instanceof StreamCut)) throw error;
            dropped = true;
            break;
          }
          if (next.done) break;
          // A batch that reaches past the cut goes out up to it.
          const room = cutAfter - out.taken;
          out.push(headOf(next.value, room), Math.min(framesIn(next.value), room));
        }
      } finally {
        // Every frame taken goes out, as each did when it was written alone.
        out.flush();
      }
    } finally {
      if (!dropped) await iterator.return?.();
      if (dropped || out.taken >= cutAfter) await cut(res);
      else if (!res.writableEnded) res.end();
    }
    return;
  }
  if (body.kind === 'json' && isLargeAnswer(body.value)) {
    await writeLargeJson(res, response.status, headers, body.value);
    return;
  }
  // Text goes to end() as a string: node joins it to the head, where a Buffer body was a copy
  // first and then a part of its own in the socket's write.
  const payload = body.kind === 'json' ? JSON.stringify(body.value) : body.kind === 'text' ? body.value : Buffer.from(body.value);
  headers['content-length'] = String(typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length);
  res.writeHead(response.status, headers).end(payload);
}

/**
 * A large JSON answer goes out piece by piece (see json-chunks), waiting for the socket to drain,
 * so it never exists whole. It is walked twice, once to measure it for Content-Length, because
 * clients and recorders expect the length a JSON answer always has.
 */
async function writeLargeJson(res: ServerResponse, status: number, headers: Record<string, string>, value: unknown): Promise<void> {
  headers['content-length'] = String(jsonByteLength(value));
  res.writeHead(status, headers);
  for (const piece of jsonChunks(value)) {
    if (res.destroyed) return;
    if (!res.write(piece)) await drainedOrClosed(res);
  }
  res.end();
}

/** Resolves when the response can take more, or is gone (a client that left sends no drain). */
function drainedOrClosed(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/**
 * About the most bytes (string length, for text frames) gathered into one write: a backlog of
 * short lines costs few syscalls, and a write stays small next to what a socket takes at once.
 */
const MAX_WRITE = 64 * 1024;

/**
 * Writes the frames of a stream, several to a write: the items taken in one turn of the event
 * loop (a backlog, the frames of a quiet process) go out together when the turn ends,
 * where one write per frame was one syscall per line. A frame that waits on I/O is never held
 * back: the write happens before the loop waits for anything. The cut counts frames, not writes.
 */
class FrameWriter {
  /** Frames taken so far, written or about to be at the end of this turn. */
  taken = 0;
  private batch: Array<string | Uint8Array> = [];
  private size = 0;
  private turn: NodeJS.Immediate | undefined;
  /** Set when a write returned false: resolves on 'drain' (or abort). */
  private draining: Promise<void> | undefined;
  private failure: { error: unknown } | undefined;

  constructor(
    private readonly res: ServerResponse,
    private readonly signal: AbortSignal,
  ) {}

  push(data: string | Uint8Array, frames: number): void {
    this.batch.push(data);
    this.size += data.length;
    this.taken += frames;
    if (this.size >= MAX_WRITE) this.flush();
    else this.turn ??= setImmediate(this.onTurn);
  }

  /**
   * A promise when a write returned false, resolving once the reader has taken it (or on abort);
   * undefined when more can be written now. Throws what a write at the end of a turn threw.
   */
  blocked(): Promise<void> | undefined {
    if (this.failure) throw this.failure.error;
    const draining = this.draining;
    if (!draining) return undefined;
    return draining.then(() => {
      if (this.draining === draining) this.draining = undefined;
    });
  }

  flush(): void {
    if (this.turn) {
      clearImmediate(this.turn);
      this.turn = undefined;
    }
    if (this.batch.length === 0) return;
    const batch = this.batch;
    this.batch = [];
    this.size = 0;
    const data = batch.length === 1 ? batch[0] : batch.every((d) => typeof d === 'string') ? batch.join('') : Buffer.concat(batch.map((d) => (typeof d === 'string' ? Buffer.from(d) : d)));
    // Subscribed at once: a 'drain' that comes before the next blocked() is not missed.
    if (!this.res.write(data)) this.draining ??= drained(this.res, this.signal);
  }

  private readonly onTurn = (): void => {
    this.turn = undefined;
    try {
      this.flush();
    } catch (error) {
      this.failure ??= { error };
    }
  };
}

/**
 * Drops the connection in the middle of a chunked body: the frames written so far are flushed
 * first (destroying at once would discard them, still corked in the socket), but the final
 * chunk never comes, so the client sees a broken stream rather than a clean end.
 */
function cut(res: ServerResponse): Promise<void> {
  const socket = res.socket;
  if (!socket || socket.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    socket.once('close', () => resolve());
    socket.end(() => socket.destroy());
  });
}

function drained(res: ServerResponse, signal: AbortSignal): Promise<void> {
  // An abort that came first would never fire again: the wait would never end.
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    res.once('drain', done);
    signal.addEventListener('abort', done, { once: true });
  });
}

const EMPTY_BODY = Buffer.alloc(0);

/**
 * The request body as chunks, for a handler to read as they arrive. A handler that stops early
 * (a refused upload) leaves the request as it is, not destroyed: its answer must still go out
 * on the same socket.
 */
function unreadBody(req: IncomingMessage): AsyncIterable<Uint8Array> {
  return { [Symbol.asyncIterator]: () => req.iterator({ destroyOnReturn: false }) };
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) over = true;
      else chunks.push(chunk);
    });
    req.once('end', () => resolve(over ? 'too-large' : Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

function lowerCaseHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/** Answers outside any provider (no route, body too large) in a neutral JSON shape. */
function writeFallback(res: ServerResponse, status: number, message: string): void {
  const payload = JSON.stringify({ error: message });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) }).end(payload);
}
