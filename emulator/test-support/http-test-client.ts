/**
 * Plain fetch against one base URL with fixed headers: the provider tests' clients extend it,
 * so a test reads as the requests it makes.
 */
export class HttpTestClient {
  constructor(
    readonly base: string,
    protected readonly headers: Record<string, string> = {},
  ) {}

  /** The same client with more headers (a credential, say). */
  withHeaders(headers: Record<string, string>): this {
    const Client = this.constructor as new (base: string, headers: Record<string, string>) => this;
    return new Client(this.base, { ...this.headers, ...headers });
  }

  fetch(path: string, init: RequestInit = {}): Promise<Response> {
    return fetch(this.base + path, { ...init, headers: { ...this.headers, ...(init.headers as Record<string, string>) } });
  }

  /** POSTs a JSON body; a string goes as it is, so a test can send broken JSON. */
  postJson(path: string, body: unknown): Promise<Response> {
    return this.fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  }
}
