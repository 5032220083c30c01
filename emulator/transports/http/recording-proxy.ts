import { createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { assembleEmulator } from '../../assemble.ts';
import type { ResponseViolation } from '../../openapi/response-validator.ts';
import type { ProviderName } from '../../providers/provider.ts';
import type { Fixture, FixtureExchange } from '../../replay/fixture.ts';
import { Recording } from '../../replay/recording.ts';
import { checkBrowserAccess } from './browser-guard.ts';
import { resolveSurface } from './resolve-surface.ts';

export interface RecorderOptions {
  provider: ProviderName;
  /** The surface to forward to: a live provider's base URL, or the emulator's, e.g. http://127.0.0.1:4747/blaxel/sandboxes/demo. */
  upstream: string;
  /** Default 127.0.0.1: the proxy forwards credentials and must not face a network by accident. */
  host?: string;
  /** Default 0: a free port (the URL is in `recorder.url`). */
  port?: number;
  specsDir?: string;
  /** The fixture's title. Default: "Recorded from <upstream>". */
  title?: string;
  /** The fixture's `seen`. Default: the upstream URL. */
  seen?: string;
  /** Headers to record beyond those that matter by default (content type, accept, credentials). */
  keepHeaders?: string[];
  /** Called for every answer that breaks our document, as soon as it is seen. */
  onViolation?: (violation: ResponseViolation, request: { method: string; path: string }) => void;
  /** Called when an exchange is complete (its stream ended), numbered from 1 in request order. */
  onExchange?: (exchange: FixtureExchange, number: number) => void;
  /** Called when the upstream cannot be reached for a request (the client gets a 502). */
  onError?: (message: string) => void;
}

export interface Recorder {
  /** The proxy's base URL: aim the client here instead of at the upstream. */
  readonly url: string;
  /** Exchanges complete so far. */
  readonly count: number;
  /** Resolves once `n` exchanges are complete. */
  completed(n: number): Promise<void>;
  /** Stops the proxy (open streams end where they are) and returns the fixture, credentials redacted. */
  stop(): Promise<Fixture>;
}

// Meaningful for one connection only (RFC 9110 §7.6.1), so never forwarded.
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-authorization', 'proxy-authenticate'];

/**
 * A recording proxy, the recorder's transport: forwards every request to the upstream and hands
 * the answer back as it arrives (streams too), feeding both to a Recording. The documents it
 * checks against are those of an emulator from the composition root, at `spec` fidelity (it
 * starts no process), so a recorded answer is judged by the emulator's own rules.
 */
export async function startRecorder(options: RecorderOptions): Promise<Recorder> {
  let upstream: URL;
  try {
    upstream = new URL(options.upstream);
    if (!['http:', 'https:'].includes(upstream.protocol)) throw new Error(`the scheme ${upstream.protocol} is not http or https`);
  } catch (error) {
    throw new Error(`Failed to start the recorder: '${options.upstream}' is not an upstream URL (${(error as Error).message}). Give the provider's base URL, e.g. http://127.0.0.1:4747/blaxel/sandboxes/demo.`);
  }
  const { app, close } = await assembleEmulator({ providers: [options.provider], specsDir: options.specsDir, fidelity: 'spec' });
  const recording = new Recording({ ...options, upstream }, app);
  const inFlight = new Set<Promise<void>>();
  const sockets = new Set<Socket>();

  const server = createServer((req, res) => {
    // The proxy forwards credentials to a live provider that runs commands: a web page must not
    // drive it, as it must not drive the emulator (see browser-guard.ts). Not forwarded, not recorded.
    const guard = checkBrowserAccess(req.method ?? 'GET', req.headers, {}, options.host ?? '127.0.0.1');
    if (!guard.ok || guard.corsOrigin !== undefined) {
      const payload = JSON.stringify({ error: guard.ok ? 'Failed to serve the request: the recorder answers no cross-origin page.' : guard.message });
      res.writeHead(guard.ok ? 403 : guard.status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) }).end(payload);
      return;
    }
    const work = forward(req, res).catch((error: Error) => options.onError?.(`Failed to record ${req.method} ${req.url}: ${error.message}.`));
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work));
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  async function forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const forwardedPath = req.url ?? '/';
    const base = upstream.pathname.replace(/\/+$/, '');
    const target = new URL(upstream.origin + base + forwardedPath);
    const surface = resolveSurface(options.provider, target, forwardedPath, method, app);
    // Its place in the fixture is taken now, before the first await: the order of requests.
    const exchange = recording.begin({ method, surface, headers: req.headers });
    const body = await readAll(req);
    exchange.sent(body);
    const headers = forwardHeaders(req.headers);
    headers['accept-encoding'] = 'identity'; // the recording must hold the bytes, not gzip
    headers['content-length'] = String(body.length);

    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const upstreamReq = send(target, { method, headers });
    const answer = await new Promise<IncomingMessage | Error>((resolve) => {
      upstreamReq.once('response', resolve);
      upstreamReq.once('error', resolve);
      upstreamReq.end(body);
    });
    if (answer instanceof Error) {
      const message = `Failed to reach the upstream ${target.href}: ${answer.message}. Check --upstream and that the provider is up.`;
      options.onError?.(message);
      const payload = JSON.stringify({ error: message });
      res.writeHead(502, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) }).end(payload);
      return;
    }

    exchange.answer(answer.statusCode ?? 0, answer.headers);
    res.writeHead(answer.statusCode ?? 0, forwardHeaders(answer.headers));
    res.flushHeaders();
    // Set from the stream's callbacks: the upstream dropped the connection mid-answer.
    const outcome = { cut: false, clientGone: false };
    await new Promise<void>((resolve) => {
      let settled = false;
      const settle = () => {
        if (settled) return;
        settled = true;
        resolve();
      };
      answer.on('data', (chunk: Buffer) => {
        // A slow client slows the upstream, instead of the proxy holding the stream in memory.
        if (!res.write(chunk)) {
          answer.pause();
          res.once('drain', () => answer.resume());
        }
        exchange.data(chunk);
      });
      answer.once('end', () => {
        res.end();
        settle();
      });
      // The upstream dropped the connection before the end: the client sees the same.
      const dropped = () => {
        // Not a cut when it is our own doing: the client left, so we dropped the upstream.
        if (!outcome.clientGone) outcome.cut = true;
        res.destroy();
        settle();
      };
      answer.once('error', dropped);
      answer.once('aborted', dropped);
      // The client went away (it stopped following a stream): so does the upstream request.
      res.once('close', () => {
        if (!res.writableFinished) {
          outcome.clientGone = true;
          upstreamReq.destroy();
        }
        settle();
      });
    });
    exchange.end({ cut: outcome.cut });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(new Error(`Failed to start the recorder: ${error.code === 'EADDRINUSE' ? `port ${options.port} is already in use` : error.message}. Pick another port with --port.`));
    });
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  }).catch(async (error) => {
    await close();
    throw error;
  });
  const address = server.address() as AddressInfo;
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  let stopping: Promise<Fixture> | undefined;

  return {
    url,
    get count() {
      return recording.count;
    },
    completed: (n) => recording.completed(n),
    stop() {
      stopping ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        // Open streams end where they are: what the client saw so far is the recording.
        for (const socket of sockets) socket.destroy();
        await Promise.allSettled([...inFlight]);
        await closed;
        await close();
        return recording.fixture();
      })();
      return stopping;
    },
  };
}

function forwardHeaders(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || name === 'host' || HOP_BY_HOP.includes(name)) continue;
    out[name] = value;
  }
  return out;
}

function readAll(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}
