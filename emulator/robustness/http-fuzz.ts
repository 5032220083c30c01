// Sends generated requests to a running emulator over HTTP and judges each answer against the
// document: the status must be one the operation declares and the body must validate, or, when
// the request does not reach an operation at all, the answer must be the provider's own
// not-found (or method-not-allowed) answer, exactly as its dialect words it.

import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { isDeepStrictEqual } from 'node:util';
import type { EmulatorApp } from '../app.ts';
import type { Mount } from '../openapi/pipeline.ts';
import type { EmuResponse } from '../kernel/exchange.ts';
import type { MatchedOperation } from '../openapi/spec-router.ts';
import { matchRoute } from '../transports/http/http-routes.ts';
import { describeRequest, renderRequest, type RenderedRequest, type RequestPlan } from './request-arbitraries.ts';

/** What came back for one request. */
export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  /** The whole body for an answer with a length; for a stream, what was read before it ended. */
  body: Buffer;
  /** True for a streamed (chunked) answer. */
  stream: boolean;
  /** Resolves once a stream has ended or been dropped by the client; at once otherwise. */
  ended: Promise<void>;
}

export interface SendOptions {
  agent: Agent;
  host: string;
  port: number;
  /** Drop a streamed answer after its first chunk, as a client that goes away would. */
  dropStream?: boolean;
  /** Bytes of a streamed answer kept for the report; the rest is read and thrown away. */
  keepStreamBytes?: number;
}

/** Sends one request with node:http, which leaves the path exactly as given (`../` and all). */
export function send(rendered: RenderedRequest, options: SendOptions): { answer: Promise<Answer>; abort: () => void } {
  const headers: Record<string, string | number> = { ...rendered.headers };
  if (rendered.body.length > 0) headers['content-length'] = rendered.body.length;
  const req = httpRequest({ host: options.host, port: options.port, method: rendered.method, path: rendered.path, headers, agent: options.agent });
  const answer = new Promise<Answer>((resolve, reject) => {
    req.once('error', reject);
    req.once('response', (res) => {
      const chunks: Buffer[] = [];
      let kept = 0;
      const stream = res.headers['content-length'] === undefined && res.headers['transfer-encoding'] === 'chunked';
      const ended = new Promise<void>((done) => {
        res.on('data', (chunk: Buffer) => {
          if (!stream || kept < (options.keepStreamBytes ?? 64 * 1024)) {
            chunks.push(chunk);
            kept += chunk.length;
          }
          if (stream && options.dropStream) res.destroy();
        });
        res.once('end', () => done());
        res.once('close', () => done());
        res.once('error', () => done());
      });
      const head = { status: res.statusCode ?? 0, headers: res.headers, stream, ended };
      // A stream is judged on its head at once (its body grows until it ends); anything else
      // once it has all arrived.
      if (stream) resolve({ ...head, get body() { return Buffer.concat(chunks); } });
      else void ended.then(() => resolve({ ...head, body: Buffer.concat(chunks) }));
    });
  });
  req.end(rendered.body);
  return { answer, abort: () => req.destroy(new Error('aborted by the client')) };
}

/** What the emulator must answer for a request, worked out the way its transport routes it. */
export type Expectation =
  | { kind: 'operation'; mount: Mount; operationId: string; match: MatchedOperation; rest: string }
  | { kind: 'dialect'; mount: Mount; answer: EmuResponse; why: string }
  | { kind: 'unrouted' };

export function expectationFor(app: EmulatorApp, method: string, pathAndQuery: string): Expectation {
  // The transport reads the request line with WHATWG URL rules: dot segments are resolved
  // (`%2e%2e` too) before any provider sees the path.
  const url = new URL(pathAndQuery, 'http://localhost');
  const route = matchRoute(url.pathname);
  if (!route || !app.has(route.mountId)) return { kind: 'unrouted' };
  const mount = app.mount(route.mountId)!;
  const verb = method.toUpperCase();
  let routed;
  try {
    routed = mount.router.route(verb, route.rest);
  } catch {
    // A path the router cannot even read (a broken percent escape) reaches no operation.
    return { kind: 'dialect', mount, answer: mount.dialect.notFound(verb, route.rest), why: 'unreadable path' };
  }
  if (routed.kind === 'not-found') return { kind: 'dialect', mount, answer: mount.dialect.notFound(verb, route.rest), why: 'not found' };
  if (routed.kind === 'method-not-allowed') {
    return { kind: 'dialect', mount, answer: mount.dialect.methodNotAllowed(verb, route.rest, routed.allowed), why: 'method not allowed' };
  }
  return { kind: 'operation', mount, operationId: routed.match.operationId, match: routed.match, rest: route.rest };
}

/** Problems with one answer, in words; empty when it is one the document allows. */
export function judge(expectation: Expectation, method: string, answer: Answer): string[] {
  const type = String(answer.headers['content-type'] ?? '');
  const head = method.toUpperCase() === 'HEAD';
  if (expectation.kind === 'unrouted') {
    if (answer.status !== 404) return [`expected the transport's 404 for a path no provider serves, got ${answer.status}`];
    return head ? [] : problemsOfJson(answer.body, (v) => typeof (v as { error?: unknown })?.error === 'string', 'the transport 404 body is not {error}');
  }
  if (expectation.kind === 'dialect') {
    const want = expectation.answer;
    if (answer.status !== want.status) return [`expected the provider's ${expectation.why} answer ${want.status}, got ${answer.status} ${preview(answer.body)}`];
    if (head || !want.body) return [];
    if (want.body.kind === 'json') {
      return problemsOfJson(answer.body, (v) => isDeepStrictEqual(v, JSON.parse(JSON.stringify(want.body && 'value' in want.body ? want.body.value : null))), `the ${expectation.why} body differs from the dialect's`);
    }
    if (want.body.kind === 'text' && answer.body.toString('utf8') !== want.body.value) return [`the ${expectation.why} body differs from the dialect's: ${preview(answer.body)}`];
    return [];
  }
  const { mount, operationId } = expectation;
  if (answer.stream) {
    const declared = mount.validator.mediaTypes(operationId, answer.status);
    const problems = mount.validator.validate(operationId, answer.status, type, undefined, false).map((v) => v.message);
    const bare = type.split(';')[0].trim().toLowerCase();
    if (problems.length === 0 && !declared.includes(bare)) problems.push(`stream media type '${bare}' is not declared for ${operationId} ${answer.status}`);
    return problems;
  }
  const hasBody = !head && answer.body.length > 0;
  let value: unknown;
  if (hasBody && /json/i.test(type)) {
    try {
      value = JSON.parse(answer.body.toString('utf8'));
    } catch {
      return [`${operationId} ${answer.status}: the body is not JSON though the content type says so: ${preview(answer.body)}`];
    }
  } else if (hasBody) {
    value = answer.body.toString('utf8');
  }
  return mount.validator.validate(operationId, answer.status, type || undefined, value, hasBody).map((v) => v.message);
}

function problemsOfJson(body: Buffer, ok: (value: unknown) => boolean, message: string): string[] {
  try {
    return ok(JSON.parse(body.toString('utf8'))) ? [] : [`${message}: ${preview(body)}`];
  } catch {
    return [`${message} (not JSON): ${preview(body)}`];
  }
}

function preview(body: Buffer): string {
  const text = body.subarray(0, 300).toString('utf8');
  return JSON.stringify(body.length > 300 ? `${text}…` : text);
}

export interface BatchOptions extends SendOptions {
  app: EmulatorApp;
  /** Requests in flight at once. */
  concurrency: number;
  /** Resolves `known(...)` placeholders against this batch's fixtures. */
  lookup: (key: string) => unknown;
  /** An answer (headers of a stream, or a whole body) taking longer than this is a finding. */
  answerWithinMs: number;
}

export interface Exchange {
  plan: RequestPlan;
  rendered: RenderedRequest;
  expectation: Expectation;
  answer?: Answer;
  problems: string[];
}

export interface BatchResult {
  exchanges: Exchange[];
  /** Streams still open: they end when the processes behind them do (the caller resets). */
  openStreams: Array<{ exchange: Exchange; ended: Promise<void> }>;
}

/**
 * Sends a batch with bounded concurrency and judges every answer. Streamed answers are judged
 * on their head (status and media type; the emulator checks each frame itself and records a
 * violation for a bad one) and left to end in the background.
 */
export async function runBatch(plans: RequestPlan[], options: BatchOptions): Promise<BatchResult> {
  const exchanges: Exchange[] = [];
  const openStreams: BatchResult['openStreams'] = [];
  let next = 0;
  const worker = async () => {
    while (next < plans.length) {
      const index = next++;
      const plan = plans[index];
      const rendered = renderRequest(plan, options.lookup);
      const exchange: Exchange = { plan, rendered, expectation: expectationFor(options.app, rendered.method, rendered.path), problems: [] };
      exchanges.push(exchange);
      // Every other stream is dropped after its first chunk, as a client that goes away; the rest
      // are read until they end, which they must once the batch's processes are gone.
      const { answer, abort } = send(rendered, { ...options, dropStream: options.dropStream ?? index % 2 === 0 });
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => {
        timer = setTimeout(() => resolve('late'), options.answerWithinMs);
      });
      try {
        const got = await Promise.race([answer, late]);
        if (got === 'late') {
          abort();
          exchange.problems.push(`no answer within ${options.answerWithinMs} ms`);
          continue;
        }
        exchange.answer = got;
        exchange.problems.push(...judge(exchange.expectation, rendered.method, got));
        if (got.stream) openStreams.push({ exchange, ended: got.ended });
      } catch (error) {
        exchange.problems.push(`the connection failed: ${(error as Error).message}`);
      } finally {
        clearTimeout(timer);
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return { exchanges, openStreams };
}

/** A failing exchange in a form that reproduces it: the request on the wire and the answer. */
export function describeExchange(exchange: Exchange): string {
  const answer = exchange.answer ? `${exchange.answer.status} ${String(exchange.answer.headers['content-type'] ?? '')} ${preview(exchange.answer.body)}` : '(no answer)';
  return `${describeRequest(exchange.plan, exchange.rendered)}\n    -> ${answer}\n    problems: ${exchange.problems.join('; ')}`;
}
