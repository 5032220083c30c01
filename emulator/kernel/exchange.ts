// The request and the answer as every layer sees them: transports make an EmuRequest and send
// an EmuResponse; handlers take a HandlerContext. Nothing here knows HTTP, msw or OpenAPI.
import type { StreamItem } from './frames.ts';

/** A request as every transport hands it over: HTTP server and msw alike. */
export interface EmuRequest {
  method: string;
  /** Path below the mount, starting with '/', still percent-encoded. */
  path: string;
  query: URLSearchParams;
  /** Header names in lower case. */
  headers: Record<string, string>;
  body: Buffer;
  /**
   * The body as it arrives, not read yet, for an operation that streams its body (see
   * `streamsRequestBody`); `body` is then empty. A transport that holds the body whole
   * already (msw) leaves it unset.
   */
  bodyStream?: AsyncIterable<Uint8Array>;
  /** Aborts when the client goes away; streams stop following then. */
  signal: AbortSignal;
}

export type EmuBody =
  | { kind: 'json'; value: unknown }
  | { kind: 'text'; value: string }
  | { kind: 'bytes'; value: Uint8Array }
  | { kind: 'stream'; frames: AsyncIterable<StreamItem> };

export interface EmuResponse {
  status: number;
  headers: Record<string, string>;
  body?: EmuBody;
  /**
   * A transport-level fault to act out (see faults): drop the connection before answering, or
   * cut a stream after some frames. Transports honour it; the body is ignored for a reset.
   */
  fault?: { kind: 'reset' } | { kind: 'cut'; afterFrames: number };
}

/** Builds the base URL of another mount, as the transport serving this request reaches it. */
export type UrlBuilder = (mountId: string, vars: Record<string, string>) => string;

export interface HandlerContext {
  operationId: string;
  /** Path parameters, decoded. */
  params: Record<string, string>;
  query: URLSearchParams;
  headers: Record<string, string>;
  /** The parsed JSON body, when the request had one. */
  body: unknown;
  rawBody: Buffer;
  /**
   * The body as chunks: as it arrives for an operation that streams its body, else `rawBody`
   * in one chunk. A handler that stores bytes (a file upload) reads this, so it works on any
   * transport without holding a large body in memory where the transport streams it.
   */
  bodyStream: AsyncIterable<Uint8Array>;
  signal: AbortSignal;
  /** Variables of the mount prefix, e.g. { sandbox: 'my-box' } for /blaxel/sandboxes/my-box. */
  vars: Record<string, string>;
  urlFor: UrlBuilder;
}

export type Handler = (ctx: HandlerContext) => EmuResponse | Promise<EmuResponse>;
