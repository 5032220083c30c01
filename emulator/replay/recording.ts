import { performance } from 'node:perf_hooks';
import { framingOf, wholeEnvelopes } from '../openapi/frame-splitter.ts';
import type { Mount } from '../openapi/pipeline.ts';
import type { ResponseViolation } from '../openapi/response-validator.ts';
import type { ProviderName } from '../providers/provider.ts';
import type { Fixture, FixtureBody, FixtureExchange, FixtureFrame } from './fixture.ts';
import { SANDBOX_HEADERS } from './fixture-replay.ts';
import { Redactor, isSecretName } from './redact.ts';
import { ResponseCheck } from './response-check.ts';

/** Header values as node:http gives them. */
export type Headers = Record<string, string | string[] | undefined>;

export interface RecordingOptions {
  provider: ProviderName;
  /** Where the exchanges went, for the fixture's title and `seen` (credentials are left out). */
  upstream: URL;
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
}

/** The surface a request reached and the path below it (see resolveSurface). */
export interface RecordedSurface {
  mountId: string;
  vars: Record<string, string>;
  /** Path below the surface, with the query. */
  path: string;
}

// A sandbox header (E2B's shared envd host names the sandbox by one, not in the URL) is kept, for replay to match.
const REQUEST_HEADERS = ['content-type', 'accept', ...SANDBOX_HEADERS];
const RESPONSE_HEADERS = ['content-type', 'location', 'retry-after', 'www-authenticate', 'allow'];

/**
 * The exchanges of one recording session, turned into a fixture: each answer checked against
 * our document as it arrives, streams kept frame by frame with their timing, credentials
 * redacted at the end. Knows nothing of sockets: a transport (the recording proxy) feeds it.
 */
export class Recording {
  private readonly slots: Array<FixtureExchange | undefined> = [];
  private readonly waiters: Array<{ n: number; resolve: () => void }> = [];
  private readonly keepRequest: Set<string>;
  private readonly keepResponse: Set<string>;
  private done = 0;

  constructor(
    private readonly options: RecordingOptions,
    /** Our documents' mounts, to check answers by the emulator's own rules. */
    private readonly mounts: { mount(mountId: string): Mount | undefined },
  ) {
    const keep = (list: string[]) => new Set([...list, ...(options.keepHeaders ?? []).map((h) => h.toLowerCase())]);
    this.keepRequest = keep(REQUEST_HEADERS);
    this.keepResponse = keep(RESPONSE_HEADERS);
  }

  /** Exchanges complete so far. */
  get count(): number {
    return this.done;
  }

  /** Resolves once `n` exchanges are complete. */
  completed(n: number): Promise<void> {
    if (this.done >= n) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ n, resolve }));
  }

  /**
   * A request on its way: it takes its place in request order now, and is part of the fixture
   * once its answer has ended. One never answered (the upstream unreachable) leaves no trace.
   */
  begin(request: { method: string; surface: RecordedSurface; headers: Headers }): RecordedExchange {
    const index = this.slots.push(undefined) - 1;
    return new RecordedExchange(request, this.keepRequest, this.keepResponse, this.mounts.mount(request.surface.mountId), this.options.onViolation, (exchange) => this.finish(index, exchange));
  }

  /** The fixture of every exchange complete so far, credentials redacted. */
  fixture(): Fixture {
    return redacted({
      title: this.options.title ?? `Recorded from ${shownUrl(this.options.upstream)}`,
      provider: this.options.provider,
      seen: this.options.seen ?? shownUrl(this.options.upstream),
      exchanges: this.slots.filter((s): s is FixtureExchange => s !== undefined),
    });
  }

  private finish(index: number, exchange: FixtureExchange): void {
    this.slots[index] = exchange;
    this.done++;
    this.options.onExchange?.(exchange, index + 1);
    for (const w of this.waiters.filter((w) => this.done >= w.n)) {
      this.waiters.splice(this.waiters.indexOf(w), 1);
      w.resolve();
    }
  }
}

/** One exchange as it happens: the answer's head, its bytes as they come, its end. */
export class RecordedExchange {
  private status = 0;
  private headers: Headers = {};
  private check: ResponseCheck | undefined;
  private streamed = false;
  private binary = false;
  private pending: Buffer = Buffer.alloc(0);
  private readonly frames: FixtureFrame[] = [];
  private readonly chunks: Buffer[] = [];
  private readonly decoder = new TextDecoder();
  private last = 0;
  private requestBody: Buffer = Buffer.alloc(0);

  constructor(
    private readonly request: { method: string; surface: RecordedSurface; headers: Headers },
    private readonly keepRequest: Set<string>,
    private readonly keepResponse: Set<string>,
    private readonly mount: Mount | undefined,
    private readonly onViolation: RecordingOptions['onViolation'],
    private readonly finish: (exchange: FixtureExchange) => void,
  ) {}

  /** The request's body, once read whole (it is forwarded whole). */
  sent(body: Buffer): void {
    this.requestBody = body;
  }

  /** The answer's status and headers arrived. */
  answer(status: number, headers: Headers): void {
    this.status = status;
    this.headers = headers;
    // The first frame's time counts from the answer's head, not from the request.
    this.last = performance.now();
    const { method, surface } = this.request;
    const contentType = first(headers['content-type']);
    this.check = new ResponseCheck(this.mount, method, surface.path, status, contentType, (v) => this.onViolation?.(v, { method, path: surface.path }));
    // A stream by its framing and the absence of a length: such answers are kept as frames.
    // Connect's envelopes are labelled `+json` but are a stream, not one JSON body.
    const framing = framingOf(contentType);
    this.binary = framing === 'connect';
    this.streamed = headers['content-length'] === undefined && (!isJson(contentType) || this.binary) && framing !== undefined && status !== 204 && status !== 304 && method !== 'HEAD';
    if (this.streamed) this.check.beginStream();
  }

  /** Bytes of the answer, as they arrived. */
  data(chunk: Buffer): void {
    if (!this.streamed) {
      this.chunks.push(chunk);
      return;
    }
    if (this.binary) {
      // Kept as bytes (an envelope's length bytes are not text), one frame per whole envelope,
      // however the chunks cut them: a reader sees each message in its readable form.
      const { envelopes, rest } = wholeEnvelopes(Buffer.concat([this.pending, chunk]));
      this.pending = rest;
      const now = performance.now();
      // The first envelope completed by this chunk waited since the last frame; the others came with it.
      envelopes.forEach((whole, i) => this.frames.push({ after: i === 0 ? Math.round(now - this.last) : 0, data: Buffer.from(whole) }));
      if (envelopes.length > 0) this.last = now;
      this.check?.frame(chunk);
      return;
    }
    const data = this.decoder.decode(chunk, { stream: true });
    if (!data) return; // half a character: its time counts toward the next frame
    const now = performance.now();
    this.frames.push({ after: Math.round(now - this.last), data });
    this.last = now;
    this.check?.frame(data);
  }

  /** The answer ended; `cut` when the upstream dropped the connection before its end. */
  end(outcome: { cut: boolean }): void {
    const check = this.check;
    if (!check) throw new Error('Failed to record the exchange: it ended before its answer began.');
    const { method, surface, headers } = this.request;
    const body = this.requestBody;
    const requestHeaders = pick(headers, this.keepRequest, true);
    const requestPart = {
      method,
      mount: surface.mountId,
      ...(Object.keys(surface.vars).length > 0 && { vars: surface.vars }),
      path: surface.path,
      ...(Object.keys(requestHeaders).length > 0 && { headers: requestHeaders }),
    };
    const requestBody = bodyOf(body, first(headers['content-type']));
    const responseHeaders = pick(this.headers, this.keepResponse, false);
    let responseBody: FixtureBody & { frames?: FixtureFrame[]; cut?: boolean };
    if (this.streamed) {
      // What is left of an envelope when the stream ended: kept, it is what the client got.
      const rest = this.binary ? this.pending : this.decoder.decode();
      if (rest.length > 0) this.frames.push({ after: 0, data: rest });
      responseBody = { frames: this.frames, ...(outcome.cut && { cut: true }) };
      check.end();
    } else {
      responseBody = bodyOf(Buffer.concat(this.chunks), first(this.headers['content-type']));
      check.end(responseBody.json !== undefined ? { kind: 'json', value: responseBody.json } : responseBody.text !== undefined ? { kind: 'text', value: responseBody.text } : responseBody.base64 !== undefined ? { kind: 'bytes' } : undefined);
    }
    const violations = check.violations;
    const status = this.status;
    this.finish({
      request: { ...requestPart, ...requestBody },
      response: { status, ...(Object.keys(responseHeaders).length > 0 && { headers: responseHeaders }), ...responseBody },
      expect: violations.length === 0 ? { status, spec: 'conforms' } : { status, spec: 'departs', departure: violations[0].message },
    });
  }
}

/** The headers that matter; credentials are kept by name only (redacted at the end). */
function pick(headers: Headers, keep: Set<string>, credentials: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const text = Array.isArray(value) ? value.join(', ') : value;
    // `accept: */*` is every client's default and says nothing about the exchange.
    if (name === 'accept' && text === '*/*') continue;
    if (keep.has(name) || (credentials && isSecretName(name))) out[name] = text;
  }
  return out;
}

function bodyOf(bytes: Buffer, contentType: string | undefined): FixtureBody {
  if (bytes.length === 0) return {};
  // A Connect envelope (a streaming call's request) is binary, though labelled `+json`.
  if (framingOf(contentType) === 'connect') return { base64: bytes.toString('base64') };
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return { base64: bytes.toString('base64') };
  }
  if (isJson(contentType)) {
    try {
      return { json: JSON.parse(text) };
    } catch {
      // A body that claims JSON but is not: kept as the text it was, which is the finding.
    }
  }
  return { text };
}

function redacted(fixture: Fixture): Fixture {
  const redactor = new Redactor();
  for (const e of fixture.exchanges) redactor.learnFrom(e.request.headers ?? {});
  const body = <T extends FixtureBody>(part: T): T => ({
    ...part,
    ...(part.json !== undefined ? { json: redactor.json(part.json) } : {}),
    ...(part.text !== undefined ? { text: redactor.text(part.text) } : {}),
  });
  return {
    ...fixture,
    exchanges: fixture.exchanges.map((e) => ({
      ...e,
      request: body({ ...e.request, path: redactor.path(e.request.path), ...(e.request.headers && { headers: redactor.headers(e.request.headers) }) }),
      response: {
        ...body(e.response),
        ...(e.response.headers && { headers: redactor.headers(e.response.headers) }),
        // A binary frame is kept whole: redacting inside it would break its envelope's length.
        ...(e.response.frames && { frames: e.response.frames.map((f) => (typeof f.data === 'string' ? { ...f, data: redactor.text(f.data) } : f)) }),
      },
      ...(e.expect?.departure !== undefined && { expect: { ...e.expect, departure: redactor.text(e.expect.departure) } }),
    })),
  };
}

function isJson(contentType: string | undefined): boolean {
  return /^application\/([\w.+-]*\+)?json\b/i.test(contentType ?? '');
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** The upstream without credentials in it (user:password@, a token in the query). */
export function shownUrl(url: URL): string {
  const shown = new URL(url.href);
  shown.username = '';
  shown.password = '';
  shown.search = '';
  return shown.href.replace(/\/$/, '');
}
