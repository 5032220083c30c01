import type { LoadedSpec } from '../../emulator/openapi/load-spec.ts';
import { operationsOf, type OperationObject } from '../../emulator/openapi/openapi-types.ts';
import { ResponseValidator } from '../../emulator/openapi/response-validator.ts';
import type { CheckName, ResultRecorder } from './check-results.ts';
import type { ContractTarget } from './contract-target.ts';
import { splitFrames as splitUnits } from '../../emulator/openapi/frame-splitter.ts';
import { framingOf, InvalidJson, StreamReader, toStreamFrame, type Framing, type StreamFrame } from './stream-reader.ts';

/** One surface of a provider: a document and the mount that serves it. */
export interface SurfaceSpec {
  mountId: string;
  spec: LoadedSpec;
  /** Only the operations of this surface, when one document holds several. */
  paths?: (path: string) => boolean;
}

export interface CallOptions {
  /** Variables of the surface's base URL, e.g. { sandbox }. */
  vars?: Record<string, string>;
  params?: Record<string, string | number>;
  query?: Record<string, string | number | boolean>;
  /** A JSON body. */
  json?: unknown;
  /** A raw body (stdin bytes, or deliberately broken JSON). */
  raw?: string | Uint8Array;
  headers?: Record<string, string>;
  /** Clean-up calls: sent, but their answers are not judged. */
  untracked?: boolean;
}

export interface CallResult {
  status: number;
  headers: Headers;
  mediaType: string;
  text: string;
  /** The body as it came: a file's bytes, which `text` would decode lossily. */
  bytes: Uint8Array;
  /** The parsed JSON body, when the answer was JSON. */
  json: any;
}

export interface StreamCall {
  status: number;
  headers: Headers;
  mediaType: string;
  reader: StreamReader;
}

interface OperationEntry {
  surface: SurfaceSpec;
  path: string;
  method: string;
  operation: OperationObject;
  validator: ResponseValidator;
}

/**
 * Calls a target by operationId and checks every answer against our documents: the status is
 * declared, the media type is declared for it, the body and each stream frame validate.
 * Scenarios add the behaviour checks (`expect`).
 */
export class SpecClient {
  private readonly operations = new Map<string, OperationEntry>();

  constructor(
    readonly target: ContractTarget,
    surfaces: SurfaceSpec[],
    readonly recorder: ResultRecorder,
    /** Longest wait for a stream frame or a stream's end before the check fails. */
    readonly streamTimeoutMs = 10_000,
  ) {
    for (const surface of surfaces) {
      const validator = new ResponseValidator(surface.spec);
      for (const { path, method, operation } of operationsOf(surface.spec.document)) {
        if (surface.paths && !surface.paths(path)) continue;
        if (operation.operationId) this.operations.set(operation.operationId, { surface, path, method, operation, validator });
      }
    }
  }

  get operationIds(): string[] {
    return [...this.operations.keys()];
  }

  isStream(operationId: string): boolean {
    return Boolean(this.entry(operationId).operation['x-stream']);
  }

  /** Records a behaviour check of an operation; returns whether it held. */
  expect(operationId: string, ok: boolean, reason: string): boolean {
    return this.recorder.check(operationId, 'behaviour', ok, reason);
  }

  async call(operationId: string, options: CallOptions = {}): Promise<CallResult> {
    const response = await this.send(operationId, options);
    const mediaType = response.headers.get('content-type') ?? '';
    const framing = framingOf(mediaType);
    // Kept as bytes: Connect's envelopes are binary, and their lengths would not survive decoding.
    const bytes = new Uint8Array(await response.arrayBuffer());
    const text = new TextDecoder().decode(bytes);
    const result: CallResult = { status: response.status, headers: response.headers, mediaType, text, bytes, json: undefined };
    const isJson = /json/i.test(mediaType) && framing !== 'connect';
    if (options.untracked) {
      result.json = isJson ? safeJson(text) : undefined;
      return result;
    }
    this.checkHead(operationId, response.status, mediaType, bytes.length > 0);
    if (text.length > 0 && isJson) {
      try {
        result.json = JSON.parse(text);
      } catch {
        this.recorder.fail(operationId, 'schema', `status ${response.status}: the body is not JSON although labelled ${mediaType}`);
        return result;
      }
    }
    if (text.length > 0 && this.declaresMedia(operationId, response.status, mediaType)) {
      const value = result.json !== undefined ? result.json : text;
      if (this.isStream(operationId) && framing) {
        // A streamed media type answered in one piece: check its frames one by one.
        for (const frame of splitFrames(bytes, framing)) this.checkFrame(operationId, response.status, mediaType, frame);
      } else {
        const violations = this.entry(operationId).validator.validateValue(operationId, response.status, baseType(mediaType), value);
        this.recorder.check(operationId, 'schema', violations.length === 0, `status ${response.status}: ${violations.map((v) => v.message).join('; ')}`);
      }
    }
    return result;
  }

  /** Opens a streamed answer; every frame read is checked against the frame schema. */
  async stream(operationId: string, options: CallOptions = {}): Promise<StreamCall | CallResult> {
    const response = await this.send(operationId, options);
    const mediaType = response.headers.get('content-type') ?? '';
    const framing = framingOf(mediaType);
    const streamed = this.declaresMedia(operationId, response.status, mediaType) && framing && this.isStream(operationId);
    if (!streamed || !response.body) {
      // Not a stream (an error answer, or a wrong media type): check it as a whole.
      const bytes = new Uint8Array(await response.arrayBuffer());
      const text = new TextDecoder().decode(bytes);
      this.checkHead(operationId, response.status, mediaType, text.length > 0);
      let json: unknown;
      if (/json/i.test(mediaType)) {
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
      }
      if (json !== undefined && this.declaresMedia(operationId, response.status, mediaType)) {
        const violations = this.entry(operationId).validator.validateValue(operationId, response.status, baseType(mediaType), json);
        this.recorder.check(operationId, 'schema', violations.length === 0, `status ${response.status}: ${violations.map((v) => v.message).join('; ')}`);
      }
      return { status: response.status, headers: response.headers, mediaType, text, bytes, json };
    }
    this.checkHead(operationId, response.status, mediaType, true);
    const reader = new StreamReader(response.body, framing, (frame) => this.checkFrame(operationId, response.status, mediaType, frame));
    return { status: response.status, headers: response.headers, mediaType, reader };
  }

  /** Reads a stream to its end; a stream that does not end in time fails the frames check. */
  async readToEnd(operationId: string, reader: StreamReader, what: string): Promise<StreamFrame[]> {
    try {
      return await reader.rest(this.streamTimeoutMs);
    } catch (error) {
      this.recorder.fail(operationId, 'frames', `${what}: ${(error as Error).message}`);
      await reader.cancel();
      throw new ScenarioStop(`${operationId}: ${what}: ${(error as Error).message}`);
    }
  }

  /** Reads until a frame matches; a stream that never sends it fails the behaviour check. */
  async readUntil(operationId: string, reader: StreamReader, wanted: (frame: StreamFrame) => boolean, what: string): Promise<StreamFrame[]> {
    try {
      return await reader.until(wanted, this.streamTimeoutMs);
    } catch (error) {
      this.recorder.fail(operationId, 'behaviour', `${what}: ${(error as Error).message}`);
      await reader.cancel();
      throw new ScenarioStop(`${operationId}: ${what}: ${(error as Error).message}`);
    }
  }

  private async send(operationId: string, options: CallOptions): Promise<Response> {
    const entry = this.entry(operationId);
    const path = entry.path.replace(/\{([^}]+)\}/g, (_, name: string) => {
      const value = options.params?.[name];
      if (value === undefined) throw new Error(`Failed to call ${operationId}: path parameter '${name}' is missing.`);
      return encodeURIComponent(String(value));
    });
    const url = new URL(joinUrl(this.target.baseUrl(entry.surface.mountId, options.vars ?? {}), path));
    for (const [key, value] of Object.entries(options.query ?? {})) url.searchParams.set(key, String(value));
    const headers: Record<string, string> = { ...this.target.headers, ...options.headers };
    let body: string | Uint8Array | undefined;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers['content-type'] ??= 'application/json';
    } else if (options.raw !== undefined) {
      body = options.raw;
    }
    if (process.env.CONTRACT_DEBUG) process.stderr.write(`  ${entry.method.toUpperCase()} ${url}\n`);
    try {
      return await this.target.fetch(url, { method: entry.method.toUpperCase(), headers, body: body as BodyInit | undefined });
    } catch (error) {
      this.recorder.fail(operationId, 'status', `the request failed: ${(error as Error).message}`);
      throw new ScenarioStop(`${operationId}: the request failed: ${(error as Error).message}`);
    }
  }

  private checkHead(operationId: string, status: number, mediaType: string, hasBody: boolean): void {
    const entry = this.entry(operationId);
    const declared = entry.validator.declaredStatuses(operationId);
    const statusOk = entry.validator.mediaTypes(operationId, status) !== undefined && isDeclared(declared, status);
    this.recorder.check(operationId, 'status', statusOk, `status ${status} is not declared (declared: ${declared.join(', ')})`);
    if (!statusOk || !hasBody) return;
    const media = entry.validator.mediaTypes(operationId, status);
    this.recorder.check(
      operationId,
      'content-type',
      this.declaresMedia(operationId, status, mediaType),
      media.length === 0
        ? `status ${status} declares no body, but one came as '${mediaType || '(none)'}'`
        : `status ${status}: media type '${baseType(mediaType) || '(none)'}' is not declared (declared: ${media.join(', ')})`,
    );
  }

  private checkFrame(operationId: string, status: number, mediaType: string, frame: StreamFrame): void {
    if (frame.payload instanceof InvalidJson) {
      this.recorder.fail(operationId, 'frames', `${frame.payload.reason ?? 'a frame is not JSON'}: ${JSON.stringify(frame.payload.text.slice(0, 80))}`);
      return;
    }
    const violations = this.entry(operationId).validator.validateValue(operationId, status, baseType(mediaType), frame.payload);
    this.recorder.check(operationId, 'frames', violations.length === 0, `frame ${JSON.stringify(frame.raw.slice(0, 80))}: ${violations.map((v) => v.message).join('; ')}`);
  }

  private declaresMedia(operationId: string, status: number, mediaType: string): boolean {
    const type = baseType(mediaType);
    return this.entry(operationId)
      .validator.mediaTypes(operationId, status)
      .some((m) => m.toLowerCase() === type);
  }

  private entry(operationId: string): OperationEntry {
    const entry = this.operations.get(operationId);
    if (!entry) throw new Error(`Failed to call ${operationId}: no such operation in the suite's documents.`);
    return entry;
  }
}

/** Stops a scenario after a failure that leaves nothing further to check; not itself a failure. */
export class ScenarioStop extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScenarioStop';
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isDeclared(declared: string[], status: number): boolean {
  return declared.includes(String(status)) || declared.includes(`${String(status)[0]}XX`) || declared.includes('default');
}

function baseType(mediaType: string): string {
  return mediaType.split(';')[0].trim().toLowerCase();
}

function joinUrl(base: string, path: string): string {
  return base.replace(/\/+$/, '') + path;
}

function splitFrames(body: string | Uint8Array, framing: Framing): StreamFrame[] {
  return splitUnits(body, framing).map(toStreamFrame);
}
