import { createHash, timingSafeEqual } from 'node:crypto';
import type { EmuResponse, HandlerContext } from '../../kernel/exchange.ts';
import { json } from '../respond.ts';
import type { E2bSandbox } from './e2b-state.ts';

/**
 * envd's secure access. A sandbox created secure (the SDK's default since its v2) holds an access
 * token, given once by the API as `envdAccessToken`; envd then wants it in `X-Access-Token` on
 * every request but `GET /health`. `/files` takes a signature in the query instead, so that a
 * URL made by the SDK's `downloadUrl`/`uploadUrl` works where no token can go (a browser).
 * The rules and their words are envd's (e2b-dev/infra, packages/envd/internal/api/auth.go).
 */

export type FileOperation = 'read' | 'write';

const unauthorized = (message: string): EmuResponse => json(401, { code: 401, message });

/** The signature the SDK puts on a /files URL: sha256 of the parts, in base64 without padding. */
export function fileSignature(path: string, operation: FileOperation, username: string, token: string, expiration?: number): string {
  const parts = [path, operation, username, token, ...(expiration === undefined ? [] : [String(expiration)])];
  return `v1_${createHash('sha256').update(parts.join(':')).digest('base64').replace(/=+$/, '')}`;
}

function same(a: string, b: string): boolean {
  const [x, y] = [Buffer.from(a), Buffer.from(b)];
  return x.length === y.length && timingSafeEqual(x, y);
}

/** A /files URL's signature and expiry, and whether `token` made that signature; undefined when it carries none. */
function signedQuery(ctx: HandlerContext, operation: FileOperation): { expiration?: number; signedWith(token: string): boolean } | undefined {
  const signature = ctx.query.get('signature');
  if (signature === null) return undefined;
  const rawExpiration = ctx.query.get('signature_expiration');
  // The document declares it an integer: anything else was refused before here.
  const expiration = rawExpiration === null ? undefined : Number(rawExpiration);
  // The path and user as the URL gives them (an absent one signs as ""), before any resolving.
  const [path, username] = [ctx.query.get('path') ?? '', ctx.query.get('username') ?? ''];
  return { expiration, signedWith: (token) => same(fileSignature(path, operation, username, token, expiration), signature) };
}

/** Why envd refuses a /files request of a secure sandbox that carries no token, or none. */
function signatureRefusal(ctx: HandlerContext, token: string, operation: FileOperation, now: number): string | undefined {
  const signed = signedQuery(ctx, operation);
  if (!signed) return 'missing signature query parameter';
  if (!signed.signedWith(token)) return 'invalid signature';
  // The signature is checked first, so a forged URL never learns whether its date was the problem.
  if (signed.expiration !== undefined && signed.expiration < Math.floor(now / 1000)) return 'signature is already expired';
  return undefined;
}

/**
 * The secure sandbox whose token made a /files URL's signature, when no header or host names
 * one: the URL the SDK's downloadUrl/uploadUrl build from `sandboxUrl` has lost its sandbox
 * (envd-sandbox.ts). The expiry is not looked at here: a stale URL still finds its sandbox,
 * which then refuses it in envd's words.
 */
export function signedBy(sandboxes: Iterable<E2bSandbox>, ctx: HandlerContext, operation: FileOperation): E2bSandbox | undefined {
  const signed = signedQuery(ctx, operation);
  if (!signed) return undefined;
  for (const sandbox of sandboxes) {
    const token = sandbox.data.envdAccessToken;
    if (token !== undefined && signed.signedWith(token)) return sandbox;
  }
  return undefined;
}

/**
 * envd's answer to a request its access rules refuse, or undefined when they let it through.
 * `files` names the operation of a `/files` request, where a signature may stand for the token.
 */
export function accessRefusal(ctx: HandlerContext, sandbox: E2bSandbox, files: FileOperation | undefined, now: number): EmuResponse | undefined {
  const token = sandbox.data.envdAccessToken;
  if (token === undefined) return undefined;
  const presented = ctx.headers['x-access-token'];
  if (files === undefined) {
    if (presented !== undefined && same(presented, token)) return undefined;
    return unauthorized('unauthorized access, please provide a valid access token or method signing if supported');
  }
  if (presented !== undefined && presented !== '') return same(presented, token) ? undefined : unauthorized('access token present in header but does not match');
  const refusal = signatureRefusal(ctx, token, files, now);
  return refusal === undefined ? undefined : unauthorized(refusal);
}
