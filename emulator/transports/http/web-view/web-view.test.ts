// The web view in a real browser (Debian's Chromium driven by playwright-core): a process started
// through a provider's API appears, its output arrives, stdin typed in the page reaches it, the
// page kills it and the status changes; a command started from the page runs through the
// provider's own API. A screenshot is written to reports/ when a browser check fails.
// Without a browser (scripts/chromium.sh installs one as root) those checks are skipped, with
// the reason; the rest (off switches, who may call it) needs none.

import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmulator, type Emulator } from '../../../index.ts';

const root = fileURLToPath(new URL('../../../../', import.meta.url));

function findChromium(): { path?: string; reason?: string } {
  try {
    return { path: execFileSync('bash', [`${root}scripts/chromium.sh`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim() };
  } catch (error) {
    return { reason: `no Chromium: ${String((error as { stderr?: string }).stderr ?? error).trim() || 'scripts/chromium.sh failed'}` };
  }
}

const browserFound = findChromium();

describe.skipIf(!browserFound.path)(`the web view in Chromium${browserFound.reason ? ` (${browserFound.reason})` : ''}`, () => {
  let emulator: Emulator;
  let origin: string;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    emulator = await createEmulator({ port: 0 });
    origin = (await emulator.listen()).origin;
    // As root, Chromium runs only without its own sandbox.
    browser = await chromium.launch({ executablePath: browserFound.path, args: process.getuid?.() === 0 ? ['--no-sandbox'] : [] });
    page = await browser.newPage();
    // Below the test timeout, so that a check that fails says which and leaves its screenshot.
    page.setDefaultTimeout(10_000);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await emulator?.close();
  });

  /** Runs a browser check; on failure, a screenshot of the page goes to reports/ first. */
  async function inPage(name: string, check: () => Promise<void>): Promise<void> {
    try {
      await check();
    } catch (error) {
      mkdirSync(`${root}reports`, { recursive: true });
      await page.screenshot({ path: `${root}reports/web-view-${name}.png`, fullPage: true }).catch(() => undefined);
      throw error;
    }
  }

  const post = (path: string, body: unknown) => fetch(`${origin}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('shows a process started through Blaxel’s API, follows its output, sends it stdin, and kills it', async () => {
    await inPage('blaxel-process', async () => {
      await page.goto(`${origin}/_emulator/`);
      await page.locator('#connection.on').waitFor();

      const started = await post('/blaxel/sandboxes/ui-box/process', {
        command: 'echo first-line; echo to-stderr >&2; read line; echo "got:$line"; exec sleep 300',
        name: 'ui-proc',
        stdin: true,
      });
      expect(started.status).toBe(200);
      const row = page.locator('tr.process', { hasText: 'first-line' });
      await row.locator('td.status', { hasText: 'running' }).waitFor();

      await row.click();
      const output = page.locator('#output');
      await output.getByText('first-line').waitFor();
      await output.locator('span.stderr', { hasText: 'to-stderr' }).waitFor();

      await page.fill('#stdin-text', 'hello-ui');
      await page.click('#stdin-form button');
      await output.getByText('got:hello-ui').waitFor();

      await row.locator('button.kill').click();
      await row.locator('td.status', { hasText: 'killed' }).waitFor();
      await output.getByText(/ended: killed/).waitFor();
      // The provider says so too, in its own words.
      const listed = (await (await fetch(`${origin}/blaxel/sandboxes/ui-box/process/ui-proc`)).json()) as { status: string };
      expect(listed.status).toBe('killed');

      // The request log shows the provider requests, with their status.
      await page.locator('#requests tr', { hasText: '/blaxel/sandboxes/ui-box/process' }).first().waitFor();
    });
  });

  it('starts a command from the page through Tensorlake’s own API and shows its output and exit', async () => {
    await inPage('start-command', async () => {
      await page.selectOption('#start-provider', 'tensorlake');
      await page.fill('#start-sandbox', 'sbx-ui');
      await page.fill('#start-command', 'echo from-the-page; exit 3');
      await page.click('#start-form button');
      const row = page.locator('tr.process', { hasText: 'from-the-page' });
      await row.locator('td.exit', { hasText: '3' }).waitFor();
      await row.click();
      await page.locator('#output').getByText('from-the-page').waitFor();
      // Tensorlake knows the process as one of its own.
      const listed = (await (await fetch(`${origin}/tensorlake/sandboxes/sbx-ui/api/v1/processes`)).json()) as { processes: Array<{ exit_code: number | null }> };
      expect(listed.processes.map((p) => p.exit_code)).toEqual([3]);
    });
  });
});

describe('the web view’s switches and its callers', () => {
  it('starts a command in an E2B sandbox through envd’s own Start, and shows it ended', async () => {
    const emulator = await createEmulator({ port: 0, providers: ['e2b'] });
    try {
      const { origin } = await emulator.listen();
      const created = (await (await fetch(`${origin}/e2b/v2/sandboxes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"templateID":"base"}' })).json()) as { sandboxID: string };
      const ended = new Promise<void>((resolve) => emulator.app.activity.on((event) => event.type === 'process-ended' && resolve()));
      const started = await fetch(`${origin}/_emulator/api/start`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ provider: 'e2b', sandbox: created.sandboxID, command: 'echo from-view' }) });
      expect(started.status).toBe(202);
      await ended;
      const state = (await (await fetch(`${origin}/_emulator/api/state`)).json()) as { providers: Array<{ name: string; sandboxes: Array<{ processes: Array<{ command: string; status: string; exitCode: number }> }> }> };
      const processes = state.providers.find((p) => p.name === 'e2b')!.sandboxes.flatMap((s) => s.processes);
      expect(processes).toEqual([expect.objectContaining({ command: '/bin/sh -c echo from-view', status: 'exited', exitCode: 0 })]);
      const unknown = await fetch(`${origin}/_emulator/api/start`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ provider: 'e2b', sandbox: 'nope', command: 'true' }) });
      expect(unknown.status).toBe(502);
    } finally {
      await emulator.close();
    }
  });

  it('is off with ui: false (--no-ui) and when a provider token is set, and providers answer as before', async () => {
    for (const options of [{ ui: false }, { tokens: { blaxel: 'secret' } }]) {
      const emulator = await createEmulator({ port: 0, ...options });
      try {
        const { origin } = await emulator.listen();
        const answer = await fetch(`${origin}/_emulator/`);
        expect(answer.status).toBe(404);
        expect((await fetch(`${origin}/agentbox/ping`)).status).toBe(200);
      } finally {
        await emulator.close();
      }
    }
  });

  it('answers its own page only: a page of another origin, even one allowed to call the providers, is refused', async () => {
    const emulator = await createEmulator({ port: 0, allowOrigins: ['http://localhost:3000'] });
    try {
      const { origin } = await emulator.listen();
      const ownPage = await fetch(`${origin}/_emulator/api/state`, { headers: { origin, 'sec-fetch-site': 'same-origin' } });
      expect(ownPage.status).toBe(200);
      const allowed = await fetch(`${origin}/_emulator/api/kill`, { method: 'POST', headers: { origin: 'http://localhost:3000', 'content-type': 'application/json' }, body: '{}' });
      expect(allowed.status).toBe(403);
      const stranger = await fetch(`${origin}/_emulator/api/start`, { method: 'POST', headers: { origin: 'http://evil.example', 'content-type': 'application/json' }, body: '{"provider":"blaxel","sandbox":"x","command":"id"}' });
      expect(stranger.status).toBe(403);
      // What the refused call asked for did not happen.
      const state = (await (await fetch(`${origin}/_emulator/api/state`)).json()) as { providers: Array<{ sandboxes: unknown[] }> };
      expect(state.providers.flatMap((p) => p.sandboxes)).toEqual([]);
    } finally {
      await emulator.close();
    }
  });
});
