import { beforeAll, describe, expect, it } from 'vitest';
import { EmulatorApp } from '../app.ts';
import { jsonLineBatch } from '../providers/line-frames.ts';
import { stream } from '../providers/respond.ts';
import { framesIn, headOf, type StreamItem } from '../kernel/frames.ts';
import { type EmuRequest } from '../kernel/exchange.ts';
import type { ResponseViolation } from './response-validator.ts';

// The pipeline checks every frame of a batch against the stream's frame schema, as it checks
// single frames: a bad frame inside a batch is caught, and in strict mode the stream stops there.

const OPERATION = 'sandbox_process_output_follow';
const SSE = { before: 'event: output\ndata: ', after: '\n\n' };

function followRequest(): EmuRequest {
  return { method: 'GET', path: '/api/v1/processes/1/output/follow', query: new URLSearchParams(), headers: {}, body: Buffer.alloc(0), signal: new AbortController().signal };
}

/**
 * A batch of three output events whose second breaks the schema (timestamp must be an integer).
 * Its payloads differ in more than the line, so it says it does not know where they differ.
 */
function batchWithBadSecond() {
  const batch = jsonLineBatch({ texts: ['one', 'two', 'three'] }, (line) => ({ line, timestamp: line === 'two' ? 'late' : 1, stream: 'stdout' }), SSE)!;
  return { ...batch, data: batch.data, varies: undefined };
}

async function served(strict: boolean): Promise<{ data: string; frames: number; violations: ResponseViolation[] }> {
  const violations: ResponseViolation[] = [];
  const app = await EmulatorApp.create({ providers: ['tensorlake'], strict, onViolation: (v) => violations.push(v) });
  try {
    const mount = app.mount('tensorlake-runtime')!;
    mount.handlers[OPERATION] = () =>
      stream(
        200,
        'text/event-stream',
        (async function* (): AsyncGenerator<StreamItem> {
          yield batchWithBadSecond();
        })(),
      );
    const response = await app.handle('tensorlake-runtime', { sandbox: 'box' }, followRequest(), () => 'http://unused');
    expect(response.status).toBe(200);
    if (response.body?.kind !== 'stream') throw new Error('expected a stream');
    let data = '';
    let frames = 0;
    for await (const item of response.body.frames) {
      data += headOf(item, Infinity);
      frames += framesIn(item);
    }
    return { data, frames, violations };
  } finally {
    await app.close();
  }
}

describe('frame batches through the pipeline', () => {
  let strict: Awaited<ReturnType<typeof served>>;
  let lenient: Awaited<ReturnType<typeof served>>;
  beforeAll(async () => {
    strict = await served(true);
    lenient = await served(false);
  });

  it('in strict mode sends the frames before the bad one, then stops, with the violation on record', () => {
    expect(strict.frames).toBe(1);
    expect(strict.data).toBe(batchWithBadSecond().head(1));
    // One bad frame; the frame schema is a oneOf, so ajv words it several ways.
    expect(strict.violations.length).toBeGreaterThan(0);
    for (const v of strict.violations) expect(v).toMatchObject({ operationId: OPERATION, status: 200, message: expect.stringMatching(/^stream frame: /) });
    expect(strict.violations.map((v) => v.message)).toContain('stream frame: body.timestamp must be integer');
  });

  it('otherwise sends every frame and still reports the bad one', () => {
    expect(lenient.frames).toBe(3);
    expect(lenient.data).toBe(batchWithBadSecond().data);
    expect(lenient.violations.map((v) => v.message)).toEqual(strict.violations.map((v) => v.message));
  });
});

describe('batches whose frames differ only in the line', () => {
  it('are judged by one frame when the schema cannot tell lines apart, and every frame otherwise', async () => {
    const judged: unknown[] = [];
    const app = await EmulatorApp.create({ providers: ['tensorlake'], onViolation: () => undefined });
    try {
      const mount = app.mount('tensorlake-runtime')!;
      const serve = (varies: readonly string[] | undefined) => {
        const batch = jsonLineBatch({ texts: ['a', 'b', 'c'] }, (line) => ({ line, timestamp: 1, stream: 'stdout' }), SSE)!;
        const watched = { ...batch, data: batch.data, varies, payload: (i: number) => (judged.push(i), batch.payload(i)) };
        mount.handlers[OPERATION] = () =>
          stream(200, 'text/event-stream', (async function* (): AsyncGenerator<StreamItem> {
            yield watched;
          })());
      };
      const drain = async () => {
        const response = await app.handle('tensorlake-runtime', { sandbox: 'box' }, followRequest(), () => 'http://unused');
        if (response.body?.kind !== 'stream') throw new Error('expected a stream');
        for await (const item of response.body.frames) void item;
      };
      serve(['line']);
      await drain();
      // OutputEvent's `line` is `type: string` only, in both branches of the oneOf.
      expect(judged).toEqual([0]);
      judged.length = 0;
      // `stream` has an enum, `timestamp` a format: what a string says could matter there, so
      // every frame is judged.
      serve(['timestamp']);
      await drain();
      expect(judged).toEqual([0, 1, 2]);
      judged.length = 0;
      serve(['stream']);
      await drain();
      expect(judged).toEqual([0, 1, 2]);
      judged.length = 0;
      serve(undefined);
      await drain();
      expect(judged).toEqual([0, 1, 2]);
    } finally {
      await app.close();
    }
  });
});
