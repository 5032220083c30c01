import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { baseUrls } from '../index.ts';
import { BLAXEL_QUIRKS } from '../providers/blaxel/quirks.ts';
import { EMULATED_QUIRKS } from '../providers/emulated-quirks.ts';
import { startBanner } from './start-banner.ts';
import { parsePool, parseStartArgs, START_USAGE, UsageError } from './start-options.ts';

describe('start --quirk', () => {
  it('refuses a name no served provider reproduces, naming the known ones', async () => {
    const refused = parseStartArgs(['--quirk', 'nope']);
    await expect(refused).rejects.toBeInstanceOf(UsageError);
    await expect(refused).rejects.toThrow(/'nope' is no quirk of blaxel, tensorlake, agentbox, e2b\. Known: blaxel: .*logs-concatenated/);
    // A real quirk of a provider that is not served is unknown too: it would change nothing.
    await expect(parseStartArgs(['--providers', 'tensorlake', '--quirk', BLAXEL_QUIRKS[0]])).rejects.toThrow(/is no quirk of tensorlake/);
  });

  it('takes every quirk a served provider reproduces', async () => {
    const { options } = await parseStartArgs(['--quirk', BLAXEL_QUIRKS[0], '--quirk', EMULATED_QUIRKS.agentbox[0]]);
    expect(options.quirks).toEqual([BLAXEL_QUIRKS[0], EMULATED_QUIRKS.agentbox[0]]);
  });

  it('lists every quirk name in --help', () => {
    for (const name of Object.values(EMULATED_QUIRKS).flat()) expect(START_USAGE).toContain(name);
  });
});

describe('start --pool', () => {
  it("keeps a ';' inside quotes in the command: the shell gets it whole", () => {
    expect(parsePool("talk=sandbox:sh -c 'echo out; echo err >&2; exit 3'")).toEqual({
      name: 'talk',
      containers: [{ name: 'sandbox', command: "sh -c 'echo out; echo err >&2; exit 3'" }],
    });
    expect(parsePool('q=sandbox:sh -c "a; b"; side:echo \\; done')).toEqual({
      name: 'q',
      containers: [
        { name: 'sandbox', command: 'sh -c "a; b"' },
        { name: 'side', command: 'echo \\; done' },
      ],
    });
  });

  it("splits containers at a bare ';'", () => {
    expect(parsePool('web=sandbox:python3 -m http.server; proxy:echo up').containers).toEqual([
      { name: 'sandbox', command: 'python3 -m http.server' },
      { name: 'proxy', command: 'echo up' },
    ]);
  });

  it('refuses a part that is not container:command, in one line, instead of naming a container after it', () => {
    expect(() => parsePool("talk=sandbox:sh -c 'echo out'; echo err >&2")).toThrow(/the part 'echo err >&2' is not container:command/);
    expect(() => parsePool('x=sandbox:')).toThrow(/the container 'sandbox' has no command/);
    expect(() => parsePool('sandbox:echo hi')).toThrow(/no pool name before =/);
    expect(() => parsePool('x=a:echo 1;a:echo 2')).toThrow(/the container 'a' is named twice/);
    expect(() => parsePool('x=sandbox:echo;')).toThrow(UsageError);
  });

  it('--help shows a pool whose sandbox prints logs, in a form parsePool takes', () => {
    const shown = /--pool "(talk=[^"]+)"/.exec(START_USAGE)?.[1];
    expect(shown).toBeDefined();
    expect(parsePool(shown!).containers[0].command).toMatch(/^sh -c 'echo out; echo err >&2; .*'$/);
  });
});

describe('start --config', () => {
  it('blames the config file, not --port, for its bad port', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'start-options-'));
    try {
      const file = join(dir, 'emulator.yaml');
      await writeFile(file, 'port: "x"\n');
      await expect(parseStartArgs(['--config', file])).rejects.toThrow(`Failed to read the port of the config file ${file}: 'x' is not a port number`);
      await expect(parseStartArgs(['--config', file, '--port', 'y'])).rejects.toThrow("Failed to read --port: 'y'");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the start banner', () => {
  it('writes placeholders as the README does, and the whole Blaxel environment', () => {
    const banner = startBanner(baseUrls('http://127.0.0.1:4747'), {});
    expect(banner).toContain('http://127.0.0.1:4747/blaxel/sandboxes/{name}');
    expect(banner).toContain('http://127.0.0.1:4747/tensorlake/sandboxes/{sandbox_id}');
    expect(banner).not.toContain('%7B');
    expect(banner).toMatch(/BL_API_URL=\S+ BL_WORKSPACE=local BL_API_KEY=any-key BL_DISABLE_H2=true/);
  });
});
