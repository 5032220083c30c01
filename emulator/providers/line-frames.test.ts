import { describe, expect, it } from 'vitest';
import { jsonLineBatch, textLineBatch, type Lines } from './line-frames.ts';

const SSE = { before: 'event: output\ndata: ', after: '\n\n' };
// Lines JSON.stringify must escape, next to plain ones: every path of the renderer.
const ODD = ['plain', 'say "hi"', 'back\\slash', 'tab\there', 'bell\u0007', '\u2028sep', 'emoji 😀', 'lone \ud800 half', '', 'é'];

/** What the batch must equal: each frame rendered on its own, as sseFrame and ndjsonFrame do. */
function oneByOne(lines: string[], build: (line: string) => object, framing = SSE): string {
  return lines.map((line) => `${framing.before}${JSON.stringify(build(line))}${framing.after}`).join('');
}

/** The lines alone, and with their joined text as the splitter hands it over: both must give the same. */
function forms(texts: string[]): Array<[string, Lines]> {
  return [
    ['lines', { texts }],
    ['joined', { texts, joined: texts.join('\n') }],
  ];
}

describe('jsonLineBatch', () => {
  const build = (line: string) => ({ line, timestamp: 1710000000000, stream: 'stdout' });

  for (const [form, lines] of forms(['a', 'b c', 'x'.repeat(200)])) {
    it(`renders plain lines exactly as one JSON.stringify per frame would (${form})`, () => {
      const batch = jsonLineBatch(lines, build, SSE)!;
      expect(batch.count).toBe(3);
      expect(batch.data).toBe(oneByOne([...lines.texts], build));
    });
  }

  for (const [form, lines] of forms(ODD)) {
    it(`renders lines that need escaping exactly as JSON.stringify does (${form})`, () => {
      const batch = jsonLineBatch(lines, build, SSE)!;
      expect(batch.data).toBe(oneByOne(ODD, build));
      for (const [i, line] of ODD.entries()) expect(batch.payload(i)).toEqual(build(line));
    });
  }

  for (const [form, lines] of forms(['one', '', 'x y', '"'])) {
    it(`keeps the property order of the payload, with the line in the middle (${form})`, () => {
      const entry = (log: string) => ({ _timestamp: '2026-01-01T00:00:00.000Z', container_name: 'sandbox', log, pod_name: 'p' });
      const framing = { before: '', after: '\n' };
      expect(jsonLineBatch(lines, entry, framing)!.data).toBe(oneByOne([...lines.texts], entry, framing));
    });
  }

  it('gives the bytes of the first n frames for a cut inside the batch', () => {
    const batch = jsonLineBatch({ texts: ODD }, build, SSE)!;
    for (const n of [0, 1, 4, ODD.length]) expect(batch.head(n)).toBe(oneByOne(ODD.slice(0, n), build));
  });

  it('falls back to whole frames when the line is not in exactly one place of the payload', () => {
    const twice = (line: string) => ({ line, echo: line });
    const nowhere = () => ({ fixed: true });
    expect(jsonLineBatch({ texts: ODD, joined: ODD.join('\n') }, twice, SSE)!.data).toBe(oneByOne(ODD, twice));
    expect(jsonLineBatch({ texts: ['a', 'b'] }, nowhere, SSE)!.data).toBe(oneByOne(['a', 'b'], nowhere));
  });

  it('gives no batch for no lines', () => {
    expect(jsonLineBatch({ texts: [] }, build, SSE)).toBeUndefined();
  });
});

describe('textLineBatch', () => {
  for (const [form, lines] of forms(['a', '', 'say "hi"'])) {
    it(`prefixes every line, one frame per line, the payload without the newline (${form})`, () => {
      const batch = textLineBatch(lines, 'stdout:')!;
      expect(batch.count).toBe(3);
      expect(batch.data).toBe('stdout:a\nstdout:\nstdout:say "hi"\n');
      expect(batch.head(2)).toBe('stdout:a\nstdout:\n');
      expect([0, 1, 2].map((i) => batch.payload(i))).toEqual(['stdout:a', 'stdout:', 'stdout:say "hi"']);
    });
  }

  it('gives no batch for no lines', () => {
    expect(textLineBatch({ texts: [] }, 'stdout:')).toBeUndefined();
  });
});

describe('where the frames of a batch differ', () => {
  it('is the property holding the line, the payload itself for text, and unknown when the line is elsewhere', () => {
    expect(jsonLineBatch({ texts: ['a'] }, (line) => ({ line, timestamp: 1 }), SSE)!.varies).toEqual(['line']);
    expect(textLineBatch({ texts: ['a'] }, 'stdout:')!.varies).toEqual([]);
    expect(jsonLineBatch({ texts: ['a'] }, (line) => ({ data: { line } }), SSE)!.varies).toBeUndefined();
    expect(jsonLineBatch({ texts: ['a'] }, (line) => ({ line, echo: line }), SSE)!.varies).toBeUndefined();
  });
});

describe('the test for lines that need no escaping', () => {
  it('agrees with JSON.stringify for every ASCII character and for text that is not ASCII', () => {
    const build = (line: string) => ({ line });
    const samples = [...Array(128).keys()].map((code) => `a${String.fromCharCode(code)}b`).concat(['é', '😀', '\ud800', 'plain']);
    for (const sample of samples) {
      const texts = ['x', sample, 'y'].join('\n').split('\n');
      const lines = { texts, joined: texts.join('\n') };
      expect(jsonLineBatch(lines, build, SSE)!.data, JSON.stringify(sample)).toBe(oneByOne(texts, build));
    }
  });
});
