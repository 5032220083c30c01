import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { EmulatorApp } from '../../app.ts';
import type { EmuRequest, EmuResponse } from '../../spec/pipeline.ts';
import { httpUrlFor, matchRoute } from './http-routes.ts';

export interface HttpServerOptions {
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

  constructor(
    private readonly app: EmulatorApp,
    private readonly options: HttpServerOptions = {},
  ) {
    this.server = createServer((req, res) => {
      void this.serve(req, res);
    });
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
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    const url = new URL(req.url ?? '/', 'http://localhost');
    const controller = new AbortController();
    // 'close' on the response fires when it finished or when the client went away.
    res.once('close', () => controller.abort());
    let status = 0;
    try {
      const route = matchRoute(url.pathname);
      if (!route || !this.app.has(route.mountId)) {
        status = 404;
        writeFallback(res, 404, `Failed to route ${req.method} ${url.pathname}: no provider is served there. Use /blaxel, /tensorlake or /agentbox.`);
        return;
      }
      const body = await readBody(req, this.options.maxBodyBytes ?? 32 * 1024 * 1024);
      if (body === 'too-large') {
        status = 413;
        writeFallback(res, 413, 'Failed to read the request: the body is larger than the emulator accepts.');
        return;
      }
      const request: EmuRequest = {
        method: (req.method ?? 'GET').toUpperCase(),
        path: route.rest,
        query: url.searchParams,
        headers: lowerCaseHeaders(req),
        body,
        signal: controller.signal,
      };
      // URLs handed out (a sandbox's metadata.url, sandbox_url) use the host the client reached
      // us by: behind a published container port or a proxy, our own bind address is useless.
      const origin = req.headers.host ? `http://${req.headers.host}` : this.origin;
      const response = await this.app.handle(route.mountId, route.vars, request, (mountId, vars) => httpUrlFor(origin, mountId, vars));
      status = response.status;
      await writeResponse(res, response, controller.signal);
    } catch (error) {
      status = 500;
      if (!res.headersSent) writeFallback(res, 500, `Failed to serve the request: ${(error as Error).message}`);
      else res.destroy();
    } finally {
      this.options.log?.(`${req.method} ${url.pathname}${url.search} ${status} ${Date.now() - started}ms`);
    }
  }
}

async function writeResponse(res: ServerResponse, response: EmuResponse, signal: AbortSignal): Promise<void> {
  const body = response.body;
  const headers = { ...response.headers };
  if (!body) {
    res.writeHead(response.status, headers).end();
    return;
  }
  if (body.kind === 'stream') {
    res.writeHead(response.status, headers);
    res.flushHeaders();
    const iterator = body.frames[Symbol.asyncIterator]();
    try {
      while (!signal.aborted) {
        const next = await iterator.next();
        if (next.done) break;
        // Respect back-pressure: a slow reader slows the follower instead of filling memory.
        if (!res.write(next.value.data)) await drained(res, signal);
      }
    } finally {
      await iterator.return?.();
      if (!res.writableEnded) res.end();
    }
    return;
  }
  const payload =
    body.kind === 'json' ? Buffer.from(JSON.stringify(body.value)) : body.kind === 'text' ? Buffer.from(body.value) : Buffer.from(body.value);
  headers['content-length'] = String(payload.length);
  res.writeHead(response.status, headers).end(payload);
}

function drained(res: ServerResponse, signal: AbortSignal): Promise<void> {
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
