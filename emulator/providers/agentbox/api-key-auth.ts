import { timingSafeEqual } from 'node:crypto';

export type AuthFailure = 'missing api key' | 'invalid api key';

/**
 * Checks the `AGENTBOX-API-KEY` header the way the server's middleware does (trimmed, compared
 * in constant time), and remembers why the last check failed.
 *
 * Why remember: the pipeline calls `authenticate(headers, token)` and then, synchronously and
 * with nothing in between, `dialect.unauthorized(match)`, which is not given the headers. The
 * provider answers `missing api key` and `invalid api key` differently, so the dialect reads
 * the reason the check just recorded.
 */
export class ApiKeyAuth {
  private failure: AuthFailure = 'missing api key';

  readonly authenticate = (headers: Record<string, string>, token: string): boolean => {
    const key = headers['agentbox-api-key']?.trim();
    if (!key) {
      this.failure = 'missing api key';
      return false;
    }
    const given = Buffer.from(key);
    const wanted = Buffer.from(token);
    if (given.length !== wanted.length || !timingSafeEqual(given, wanted)) {
      this.failure = 'invalid api key';
      return false;
    }
    return true;
  };

  get lastFailure(): AuthFailure {
    return this.failure;
  }
}
