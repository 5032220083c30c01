import { bypass, http, HttpResponse, type RequestHandler } from 'msw';
import type { EmulatorApp } from '../../app.ts';
import { framesIn, headOf, StreamCut } from '../../kernel/frames.ts';
import { type EmuResponse } from '../../kernel/exchange.ts';
import { matchMswUrl, mswUrlFor, type MswLayout, type SandboxPortMatch } from './msw-hosts.ts';
import { isLargeAnswer, jsonChunks } from '../json-chunks.ts';

/**
 * msw handlers that answer on the providers' real hosts from the same app (specs, validators,
 * providers, processes) as the HTTP server. A request to a provider host that no mount serves
 * gets a 501 naming the URL: it never slips through to the network.
 */
export function createMswHandlers(app: EmulatorApp, layout: MswLayout): RequestHandler[] {
  return [
    http.all(
      ({ request }) => matchMswUrl(new URL(request.url), layout) !== undefined,
      async ({ request }) => {
        const url = new URL(request.url);
        const match = matchMswUrl(url, layout);
        if (match && 'sandboxPort' in match && app.sandboxPorts(match.sandboxPort.provider)) return forwardToPort(app, match, request);
        if (!match?.mountId || !app.has(match.mountId)) {
          const reason = match && 'reason' in match ? match.reason : `${url.origin}${url.pathname} belongs to a provider this emulator does not serve`;
          return HttpResponse.json(
            { error: `Failed to emulate ${request.method} ${url.href}: ${reason}. Check the URL, or add the provider to setupEmulator({ providers }).` },
            { status: 501 },
          );
        }
        // Ends the follower when the reader cancels the body or the request is aborted.
        const controller = new AbortController();
        request.signal?.addEventListener('abort', () => controller.abort(), { once: true });
        const response = await app.handle(
          match.mountId,
          match.vars,
          {
            method: request.method.toUpperCase(),
            path: match.rest,
            query: url.searchParams,
            headers: Object.fromEntries([...request.headers].map(([k, v]) => [k.toLowerCase(), v])),
            body: Buffer.from(await request.arrayBuffer()),
            signal: controller.signal,
          },
          (mountId, vars) => mswUrlFor(mountId, vars, layout),
        );
        return toFetchResponse(response, controller);
      },
    ),
  ];
}

/**
 * A request to a sandbox's own server, through the provider's proxy: processes here listen on
 * the host, so it goes to 127.0.0.1:<port>, past msw (`bypass`), and its answer comes back as it
 * is, streamed. The proxy's 502s stand where E2B's would: the sandbox does not run, or nothing
 * listens on the port.
 */
async function forwardToPort(app: EmulatorApp, match: SandboxPortMatch, request: Request): Promise<Response> {
  const { provider, sandbox, port } = match.sandboxPort;
  const ports = app.sandboxPorts(provider)!;
  const refusal = ports.refusal(sandbox);
  if (refusal) return toFetchResponse(refusal, new AbortController());
  const url = new URL(request.url);
  const body = request.method === 'GET' || request.method === 'HEAD' ? undefined : await request.arrayBuffer();
  const target = new Request(`http://127.0.0.1:${port}${url.pathname}${url.search}`, { method: request.method, headers: request.headers, body, signal: request.signal });
  try {
    return await fetch(bypass(target));
  } catch (error) {
    // Refused, or reset before an answer: the proxy found no server there.
    if (request.signal?.aborted) throw error;
    return toFetchResponse(ports.closed(sandbox, port), new AbortController());
  }
}

function toFetchResponse(response: EmuResponse, controller: AbortController): Response {
  // An injected fault: fetch rejects with a network error, as on a reset connection.
  if (response.fault?.kind === 'reset') return HttpResponse.error();
  const init = { status: response.status, headers: response.headers };
  const body = response.body;
  // Fetch forbids a body on these statuses.
  if (!body || response.status === 204 || response.status === 304) return new HttpResponse(null, init);
  if (body.kind === 'json') return new HttpResponse(isLargeAnswer(body.value) ? largeJson(body.value) : JSON.stringify(body.value), init);
  if (body.kind === 'text') return new HttpResponse(body.value, init);
  if (body.kind === 'bytes') return new HttpResponse(body.value, init);
  const iterator = body.frames[Symbol.asyncIterator]();
  const encoder = new TextEncoder();
  // Ends the follower: the reader cancelled, or the stream was cut.
  const release = async () => {
    controller.abort();
    await iterator.return?.();
  };
  // An injected fault may cut the stream after some frames; a shorter stream ends cleanly.
  const cutAfter = response.fault?.kind === 'cut' ? response.fault.afterFrames : Infinity;
  let sent = 0;
  const stream = new ReadableStream<Uint8Array>({
    // Pull, not push: a frame is produced only when the reader wants one, so a slow reader
    // slows the follower instead of filling memory.
    async pull(ctrl) {
      if (sent >= cutAfter) {
        await breakOff(ctrl, 'Failed to read the response: the stream was cut (an injected fault). Remove the cutAfterFrames rule to get the whole stream.');
        await release();
        return;
      }
      try {
        const next = await iterator.next();
        if (next.done) {
          ctrl.close();
          return;
        }
        // A batch that reaches past the cut goes out up to it.
        const data = headOf(next.value, cutAfter - sent);
        ctrl.enqueue(typeof data === 'string' ? encoder.encode(data) : data);
        sent += framesIn(next.value);
        if (sent >= cutAfter) await release();
      } catch (error) {
        if (error instanceof StreamCut) {
          // The provider's own dropped connection, in undici's word for it ("terminated").
          await breakOff(ctrl, error.message);
          controller.abort();
          return;
        }
        ctrl.error(error);
      }
    },
    cancel: release,
  });
  return new HttpResponse(stream, init);
}

/**
 * Breaks a stream off as a dropped connection does. Only once the reader has taken the last
 * frame: error() drops what is queued, and msw tees a mocked answer that undici reads through a
 * stream of its own, which pulls ahead of the client. A moment lets those frames through; a cut
 * is a fault or a sandbox going away, not a path that needs speed.
 */
async function breakOff(ctrl: ReadableStreamDefaultController<Uint8Array>, message: string): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, CUT_SETTLE_MS));
  ctrl.error(new TypeError(message));
}

/** How long a cut waits, after its last frame, before the stream errors (see the cut in pull). */
const CUT_SETTLE_MS = 50;

/** A large JSON answer as a pulled stream of pieces (see json-chunks), never one string. */
function largeJson(value: unknown): ReadableStream<Uint8Array> {
  const pieces = jsonChunks(value);
  const encoder = new TextEncoder();
  return new ReadableStream<Uint8Array>({
    pull(ctrl) {
      const next = pieces.next();
      if (next.done) ctrl.close();
      else ctrl.enqueue(encoder.encode(next.value));
    },
    cancel() {
      pieces.return(undefined);
    },
  });
}
