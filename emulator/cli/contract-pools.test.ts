import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseStartArgs } from './start-options.ts';
import { CONTRACT_LOG_POOL } from '../../contracts/agentbox/agentbox.suite.ts';

const file = fileURLToPath(new URL('../../contracts/agentbox/contract-pools.yaml', import.meta.url));

describe('contract-pools.yaml, the start line the README gives for the AgentBox suite', () => {
  it('holds exactly the pool the suite claims, so `npm start -- --config` brings it', async () => {
    expect(parse(await readFile(file, 'utf8'))).toEqual({ pools: [CONTRACT_LOG_POOL] });
    const { options } = await parseStartArgs(['--config', file]);
    expect(options.pools).toEqual([CONTRACT_LOG_POOL]);
  });
});
