import { Agent } from 'node:http';
import { performance } from 'node:perf_hooks';
import { bareSpawn } from './bare-spawn.ts';
import type { RunningServer } from './children.ts';
import type { BenchConfig } from './config.ts';
import { postJson } from './http.ts';
import { out, table, verdict, type Check } from './report.ts';
import { fmtMs, fmtRatio, median } from './stats.ts';

interface Side {
  label: string;
  one: (agent: Agent) => Promise<void>;
  walls: number[];
  completed: number;
  attempted: number;
  firstError?: string;
}

/**
 * N processes (`echo hi`) started at once and all awaited: N concurrent waiting requests
 * through the emulator, against N bare spawns of the same command in one Promise.all.
 */
export async function concurrency(config: BenchConfig, emulator: RunningServer): Promise<Check[]> {
  const n = config.concurrency;
  const blaxel = `${emulator.origin}/blaxel/sandboxes/bench-many/process`;
  const tensorlake = `${emulator.origin}/tensorlake/sandboxes/bench-many/api/v1/processes/run`;
  const sides: Side[] = [
    { label: "bare spawn('sh', ['-c', 'echo hi'])", one: () => bareSpawn('sh', ['-c', 'echo hi'], 'hi\n'), walls: [], completed: 0, attempted: 0 },
    {
      label: 'blaxel POST /process waitForCompletion',
      one: async (agent) => {
        const reply = await postJson(blaxel, { command: 'echo hi', waitForCompletion: true }, { agent });
        const body = reply.status === 200 ? (JSON.parse(reply.body.toString('utf8')) as { status: string; stdout: string }) : undefined;
        if (body?.status !== 'completed' || body.stdout !== 'hi\n') throw new Error(`HTTP ${reply.status} ${reply.body.toString('utf8').slice(0, 200)}`);
      },
      walls: [],
      completed: 0,
      attempted: 0,
    },
    {
      label: 'tensorlake POST /processes/run',
      one: async (agent) => {
        const reply = await postJson(tensorlake, { command: 'echo', args: ['hi'] }, { agent });
        const text = reply.body.toString('utf8');
        if (reply.status !== 200 || !text.includes('"line":"hi"') || !text.includes('"exit_code":0')) throw new Error(`HTTP ${reply.status} ${text.slice(0, 200)}`);
      },
      walls: [],
      completed: 0,
      attempted: 0,
    },
  ];

  for (let round = 0; round < config.concurrencyRounds; round++) {
    for (const side of sides) {
      // A fresh pool per round: the N connections are opened as a client would open them.
      const agent = new Agent({ keepAlive: true, maxSockets: n });
      const t0 = performance.now();
      const outcomes = await Promise.allSettled(Array.from({ length: n }, () => side.one(agent)));
      side.walls.push(performance.now() - t0);
      agent.destroy();
      side.attempted += n;
      for (const o of outcomes) {
        if (o.status === 'fulfilled') side.completed++;
        else side.firstError ??= (o.reason as Error).message;
      }
    }
  }

  const bare = sides[0];
  const rows: string[][] = [['', `wall time for ${n} (median of ${config.concurrencyRounds})`, 'completed', 'ratio to bare']];
  const checks: Check[] = [];
  for (const side of sides) {
    const ratio = median(side.walls) / median(bare.walls);
    rows.push([side.label, fmtMs(median(side.walls)), `${side.completed} / ${side.attempted}`, fmtRatio(ratio)]);
    if (side === bare) continue;
    checks.push({
      name: `concurrency: ${n} at once, ${side.label}`,
      value: `${fmtRatio(ratio)} of bare, ${side.completed}/${side.attempted} completed`,
      target: `all ${n} complete (ratio reported)`,
      verdict: verdict(side.completed === side.attempted),
    });
  }
  out(table(rows));
  for (const side of sides) if (side.firstError) out(`  ! ${side.label}: ${side.attempted - side.completed} failed; first: ${side.firstError}`);
  return checks;
}
