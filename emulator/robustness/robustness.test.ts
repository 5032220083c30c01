// Property-based robustness: for every operation of every provider, requests generated from the
// OpenAPI documents (valid ones and broken ones) go over HTTP to one emulator per provider. Every
// answer must be one the document declares for the operation (or, when the request reaches no
// operation, the provider's own not-found answer), the emulator must record no spec violation,
// every stream must end once the batch's processes are gone, and a plain request must still
// work after each batch.
//
// Findings not fixed yet (known-findings.ts) are told apart and counted, not failed on.
//
// ROBUSTNESS_RUNS=20000 sends more requests per provider (default 2000). A failure prints
// fast-check's seed and path, and the failing requests as sent; ROBUSTNESS_SEED and
// ROBUSTNESS_PATH replay the batch. ROBUSTNESS_VERBOSE=1 prints the statuses per operation.

import fc from 'fast-check';
import { Agent, request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmulator, type Emulator } from '../index.ts';
import type { ResponseViolation } from '../openapi/response-validator.ts';
import { describeExchange, runBatch, type Exchange } from './http-fuzz.ts';
import { KNOWN_FINDINGS, knownFindingOf } from './known-findings.ts';
import { prefixesOf, PROVIDERS, type FixtureClient } from './providers.ts';
import { operationTargets, requestArbitrary } from './request-arbitraries.ts';

const RUNS = Number(process.env.ROBUSTNESS_RUNS ?? 2000);
/** Requests per batch: between two batches every process is ended and the fixtures are made anew. */
const BATCH = 50;
/** Requests in flight at once: enough to overlap process starts, few enough for a 2-core box. */
const CONCURRENCY = 8;
/** A whole answer (or a stream's head) slower than this is reported as a hang. */
const ANSWER_WITHIN_MS = 15_000;
/** Once a batch's processes are killed, every stream they fed must end within this. */
const STREAMS_END_WITHIN_MS = 10_000;

describe.each(PROVIDERS.map((p) => [p.name, p] as const))('%s under generated requests', (_name, provider) => {
  let emulator: Emulator;
  let agent: Agent;
  let host: string;
  let port: number;
  const violations: ResponseViolation[] = [];

  beforeAll(async () => {
    emulator = await createEmulator({
      port: 0,
      providers: [provider.name],
      stopGraceMs: 300,
      // Collected here as well: a reset clears the app's own list, and a stream may break its
      // spec while the reset ends it.
      onViolation: (v) => violations.push(v),
    });
    const url = new URL((await emulator.listen()).origin);
    host = url.hostname;
    port = Number(url.port);
    agent = new Agent({ keepAlive: true, maxSockets: 64 });
  });

  afterAll(async () => {
    agent?.destroy();
    await emulator?.close();
  });

  const client: FixtureClient = {
    json: (method, path, body) =>
      new Promise((resolve, reject) => {
        const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
        const req = httpRequest(
          { host, port, method, path, agent, headers: payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {} },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.once('end', () => {
              const text = Buffer.concat(chunks).toString('utf8');
              let parsed: unknown = text;
              try {
                parsed = JSON.parse(text);
              } catch {
                // Left as text.
              }
              resolve({ status: res.statusCode ?? 0, body: parsed });
            });
          },
        );
        req.once('error', reject);
        req.end(payload);
      }),
  };

  it(
    `answers ${RUNS} generated requests over every operation as the documents say`,
    async () => {
      const targets = provider.mounts.flatMap((id) => operationTargets(emulator.app.mount(id)!));
      const request = fc.oneof(...targets.map((t) => requestArbitrary(t, { ...provider.hints, prefixes: prefixesOf(t.mountId) })));
      const tally = new Map<string, Map<number, number>>();
      const tolerated = new Map<string, number>();
      let sent = 0;
      let valid = 0;
      const started = Date.now();
      let fixtures = await provider.fixtures(client);

      await fc.assert(
        fc.asyncProperty(fc.array(request, { minLength: BATCH, maxLength: BATCH }), async (plans) => {
          const lookup = (key: string) => fixtures[key] ?? key;
          const result = await runBatch(plans, { app: emulator.app, agent, host, port, concurrency: CONCURRENCY, lookup, answerWithinMs: ANSWER_WITHIN_MS });
          const recorded = [...emulator.app.violations];
          // Ends every process (fixtures included), which must end every stream still open.
          await emulator.app.reset();
          const stuck = await unended(result.openStreams, STREAMS_END_WITHIN_MS);
          const ping = await client.json(provider.ping.method, provider.ping.path);
          fixtures = await provider.fixtures(client);

          for (const exchange of result.exchanges) count(tally, exchange);
          sent += result.exchanges.length;
          valid += result.exchanges.filter((e) => e.plan.valid).length;

          // Findings not fixed yet are told apart (and counted), so everything else stays checked.
          const explained = new Map<string, Set<string>>();
          const failing = result.exchanges.filter((e) => {
            // An answer the document allows may still carry a finding's violation (a declared 500).
            const finding = knownFindingOf(e);
            if (!finding) return e.problems.length > 0;
            tolerated.set(finding.id, (tolerated.get(finding.id) ?? 0) + 1);
            if (e.expectation.kind === 'operation') explained.set(finding.id, (explained.get(finding.id) ?? new Set()).add(e.expectation.operationId));
            return false;
          });
          // The app's own list and ours hold the same objects until the reset cleared the former.
          const unexplained = [...new Set([...recorded, ...violations])].filter(
            (v) => !KNOWN_FINDINGS.some((f) => f.explainsViolation?.(v) && explained.get(f.id)?.has(v.operationId)),
          );
          const report = [
            ...failing.slice(0, 5).map(describeExchange),
            ...stuck.slice(0, 5).map((e) => `stream still open ${STREAMS_END_WITHIN_MS} ms after its processes were killed:\n${describeExchange(e)}`),
            ...unexplained.slice(0, 5).map((v) => `spec violation: ${v.operationId} ${v.status}: ${v.message}`),
          ];
          violations.length = 0;
          if (ping.status !== 200) report.push(`the plain request ${provider.ping.method} ${provider.ping.path} answered ${ping.status} after the batch`);
          if (report.length > 0) throw new Error(`${failing.length} bad answer(s), ${stuck.length} stuck stream(s):\n${report.join('\n')}`);
        }),
        {
          numRuns: Math.ceil(RUNS / BATCH),
          // A failing batch names its failing requests itself; shrinking a live batch is slow.
          endOnFailure: true,
          seed: process.env.ROBUSTNESS_SEED ? Number(process.env.ROBUSTNESS_SEED) : undefined,
          path: process.env.ROBUSTNESS_PATH,
        },
      );

      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      const known = [...tolerated].map(([id, n]) => `${id} x${n}`).join(', ');
      console.log(`[robustness] ${provider.name}: ${sent} requests (${valid} valid) over ${targets.length} operations in ${seconds} s${known ? `; known findings: ${known}` : ''}`);
      if (process.env.ROBUSTNESS_VERBOSE) for (const [op, statuses] of tally) console.log(`  ${op}: ${[...statuses].map(([s, n]) => `${s}x${n}`).join(' ')}`);
      // Every operation was reached by some request (the generators are not stuck in front of it).
      for (const t of targets) expect(tally.get(t.operationId)?.size ?? 0, `${t.operationId} was never reached`).toBeGreaterThan(0);
    },
    Math.max(120_000, RUNS * 60),
  );
});

const firstBodies = new Map<string, string>();

function count(tally: Map<string, Map<number, number>>, exchange: Exchange): void {
  if (exchange.expectation.kind !== 'operation' || !exchange.answer) return;
  const byStatus = tally.get(exchange.expectation.operationId) ?? new Map<number, number>();
  byStatus.set(exchange.answer.status, (byStatus.get(exchange.answer.status) ?? 0) + 1);
  tally.set(exchange.expectation.operationId, byStatus);
  const key = `${exchange.expectation.operationId} ${exchange.answer.status} ${exchange.plan.valid ? 'valid' : 'invalid'}`;
  if (process.env.ROBUSTNESS_VERBOSE && !firstBodies.has(key)) {
    firstBodies.set(key, exchange.answer.body.subarray(0, 160).toString('utf8'));
    console.log(`  first ${key}: ${firstBodies.get(key)}`);
  }
}

/** The exchanges whose stream has not ended within `ms`. */
async function unended(streams: Array<{ exchange: Exchange; ended: Promise<void> }>, ms: number): Promise<Exchange[]> {
  const open = new Set(streams.map((s) => s.exchange));
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  await Promise.race([Promise.all(streams.map((s) => s.ended.then(() => open.delete(s.exchange)))), deadline]);
  clearTimeout(timer);
  return [...open];
}
