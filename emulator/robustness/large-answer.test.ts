import { resourceUsage } from 'node:process';
import { describe, expect, it } from 'vitest';
import { startTensorlake } from '../test-support/tensorlake-kit.ts';

// In a file of its own: the test reads this process's peak RSS, which earlier tests would raise.

const SIXTEEN_MIB = 16 * 1024 * 1024;
const NUL_JSON = '\\u0000';

/**
 * Reads a Tensorlake output answer piece by piece, keeping none of its one long line: the JSON
 * around the line is parsed with the line taken out, and the line must be NUL escapes only.
 */
async function nulLineAnswer(response: Response): Promise<{ bytes: number; nuls: number; lines: number; rest: Record<string, unknown> }> {
  const decoder = new TextDecoder();
  const opening = '"lines":["';
  let bytes = 0;
  let before = '';
  let text = '';
  let after: string | null = null;
  let nuls = 0;
  let lines = 1;
  for await (const chunk of response.body!) {
    bytes += chunk.length;
    const piece = decoder.decode(chunk, { stream: true });
    if (after !== null) {
      after += piece;
      continue;
    }
    if (!before.includes(opening)) {
      before += piece;
      const at = before.indexOf(opening);
      if (at === -1) continue;
      text = before.slice(at + opening.length);
      before = before.slice(0, at + opening.length);
    } else {
      text += piece;
    }
    // The lines are NUL escapes parted by `","`, up to `"]`; a cut token waits for the next chunk.
    while (after === null && text.length > 0) {
      const run = /^(?:\\u0000)+/.exec(text);
      if (run) {
        nuls += run[0].length / NUL_JSON.length;
        text = text.slice(run[0].length);
      } else if (text.startsWith('","')) {
        lines += 1;
        text = text.slice(3);
      } else if (text.startsWith('"]')) {
        after = text;
      } else if (text.length < NUL_JSON.length) {
        break;
      } else {
        throw new Error(`unexpected text in the lines: ${text.slice(0, 20)}`);
      }
    }
  }
  const rest = JSON.parse(`${before}${after}`) as Record<string, unknown>;
  return { bytes, nuls, lines, rest };
}

describe('large answers', () => {
  it('issue 19: four GETs of 16 MiB of NUL output (96 MiB of JSON each) go out whole, without building the JSON', async () => {
    const tl = await startTensorlake();
    try {
      const box = tl.sandbox();
      const proc = await box.sh(`head -c ${SIXTEEN_MIB} /dev/zero`);
      expect((await box.waitForEnd(proc.pid)).exit_code).toBe(0);
      const before = resourceUsage().maxRSS * 1024;
      const answers = await Promise.all(
        Array.from({ length: 4 }, async () => {
          const response = await box.fetch(`/api/v1/processes/${proc.pid}/stdout`);
          expect(response.status).toBe(200);
          const length = Number(response.headers.get('content-length'));
          return { length, ...(await nulLineAnswer(response)) };
        }),
      );
      for (const answer of answers) {
        expect(answer.nuls).toBe(SIXTEEN_MIB);
        expect(answer.bytes).toBe(answer.length);
        expect(answer.rest).toMatchObject({ pid: proc.pid, lines: [''] });
        // The line is parted where the daemon parts long lines; each part is a line of its own.
        expect(answer.bytes).toBe(SIXTEEN_MIB * NUL_JSON.length + (answer.lines - 1) * 3 + Buffer.byteLength(JSON.stringify(answer.rest)));
      }
      // Built whole, each answer was a 96 MiB string and a 96 MiB Buffer: 4 at once took the
      // peak up by over 700 MiB. In pieces, each costs its 16 MiB of lines.
      const grown = resourceUsage().maxRSS * 1024 - before;
      expect(grown).toBeLessThan(300 * 1024 * 1024);
      expect(tl.emulator.app.violations).toEqual([]);
    } finally {
      await tl.emulator.close();
    }
  });
});
