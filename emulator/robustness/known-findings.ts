// Departures the fuzzing found that are not fixed yet, each with the input that shows it and the
// fix proposed. The robustness suites tolerate exactly these answers (and count them), so that
// everything else stays checked; `known-findings.test.ts` pins each one with a single request
// and fails once the fix lands, as a reminder to delete the entry here.

import type { ResponseViolation } from '../spec/response-validator.ts';
import type { Exchange } from './http-fuzz.ts';

export interface KnownFinding {
  id: string;
  /** What goes wrong, and where the fix belongs. */
  what: string;
  /** True when this exchange's problem is this finding (and nothing else). */
  explains(exchange: Exchange): boolean;
  /** True when a recorded spec violation is the one this finding causes. */
  explainsViolation?(violation: ResponseViolation): boolean;
}

/** Node's default limit on the request line plus headers (`--max-http-header-size`). */
const NODE_MAX_HEADER_BYTES = 16 * 1024;

function declaredQueryNames(exchange: Exchange): Set<string> | undefined {
  if (exchange.expectation.kind !== 'operation') return undefined;
  const operation = exchange.expectation.mount.router.operation(exchange.expectation.operationId);
  return new Set((operation?.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name));
}

function answerText(exchange: Exchange): string {
  return exchange.answer?.body.toString('utf8') ?? '';
}

/** A UTF-16 surrogate without its other half: a string no UTF-8 encoder can encode. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function bodyJson(exchange: Exchange): any {
  try {
    return JSON.parse(exchange.rendered.body.toString('utf8'));
  } catch {
    return undefined;
  }
}

function isBlaxelCreate500(exchange: Exchange): boolean {
  return exchange.expectation.kind === 'operation' && exchange.expectation.operationId === 'createSandbox' && exchange.answer?.status === 500;
}

export const KNOWN_FINDINGS: KnownFinding[] = [
  {
    id: 'malformed-percent-escape-500',
    what:
      'A path whose parameter holds a broken percent escape (GET /agentbox/v1/sandboxes/%zz, ' +
      '/tensorlake/sandboxes/x/api/v1/processes/%E0%A4/stdout, /blaxel/sandboxes/b/process/%ED%A0%80) makes ' +
      'SpecRouter.route throw URIError (openapi-backend decodes path parameters with decodeURIComponent); ' +
      'EmulatorApp.dispatchTo catches it and answers an unvalidated 500 "URI malformed", which no operation declares for it. ' +
      'Fix: in SpecRouter.route (emulator/spec/spec-router.ts), catch the URIError of parseRequest and return ' +
      "{ kind: 'not-found' }, so the provider's own not-found answers (as gin and axum do for a path they cannot decode).",
    explains: (exchange) =>
      exchange.expectation.kind === 'dialect' && exchange.expectation.why === 'unreadable path' && exchange.answer?.status === 500 && /URI malformed/.test(answerText(exchange)),
  },
  {
    id: 'unknown-query-parameter-refused',
    what:
      'A query parameter the operation does not declare (GET /agentbox/ping?x=1) fails request validation (openapi-backend ' +
      'builds each query schema with additionalProperties: false), so the operation answers 400, and where it declares no 400 ' +
      '(Ping, listProcesses, getProcess, sandbox_process_list, StreamSandboxLogs...) strict mode turns that into a 500 and a ' +
      'violation. The real servers (gin, axum, Go net/http) ignore unknown query parameters. Fix: in SpecRouter.validate ' +
      '(emulator/spec/spec-router.ts), drop `additionalProperties` errors whose instancePath is `/query`.',
    explains(exchange) {
      const declared = declaredQueryNames(exchange);
      const url = new URL(exchange.rendered.path, 'http://localhost');
      const unknown = declared !== undefined && [...url.searchParams.keys()].some((name) => !declared.has(name));
      if (!unknown || !exchange.answer) return false;
      return exchange.answer.status === 400 || (exchange.answer.status === 500 && /status 400 is not declared/.test(answerText(exchange)));
    },
    explainsViolation: (v) => v.status === 400 && /^status 400 is not declared/.test(v.message),
  },
  {
    id: 'long-request-line-431',
    what:
      'A request line plus headers over 16 KiB (a 10k-character id that needs percent-encoding: `é` x 10000 is 60 kB on the ' +
      'wire) gets Node\'s bare 431 with no body and a closed connection, before any provider sees it. Go\'s net/http (Blaxel, ' +
      'AgentBox) reads up to 1 MiB of headers and hyper (Tensorlake) about 400 kB, so the providers answer such a request ' +
      'with their own 404 or 400. Fix: createServer({ maxHeaderSize: 1024 * 1024 }, ...) in ' +
      'emulator/transports/http/http-server.ts.',
    explains(exchange) {
      const size = exchange.rendered.path.length + JSON.stringify(exchange.rendered.headers).length;
      return exchange.answer?.status === 431 && size > NODE_MAX_HEADER_BYTES - 1024;
    },
  },
];

/** The finding that explains a failing exchange, if one does. */
export function knownFindingOf(exchange: Exchange): KnownFinding | undefined {
  return KNOWN_FINDINGS.find((f) => f.explains(exchange));
}
