import { spawn, type ChildProcess } from 'node:child_process';

/** A bare child_process.spawn, waited for as the emulator waits: exit and both pipes drained. */
export function bareSpawn(command: string, args: string[], expectStdout: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => (stdout += chunk));
    child.stderr.resume();
    child.once('error', reject);
    child.once('close', (code) => {
      if (code !== 0 || stdout !== expectStdout) reject(new Error(`bare ${command} ${args.join(' ')}: exit ${code}, stdout ${JSON.stringify(stdout)}`));
      else resolve();
    });
  });
}

// The bare spawns, timed inside a bare Node process of their own. On Linux a spawn forks its
// caller, and the fork costs more the more memory the caller holds: timed from the bench's own
// process (tsx, the report, every result so far) a bare spawn looked slower than it is, which
// flattered every ratio. A bare `node -e` is what a user's own spawn starts from.
const SPAWNER = String.raw`
const { spawn } = require('node:child_process');
process.on('message', ({ id, command, args }) => {
  const t0 = performance.now();
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (c) => (stdout += c));
  child.stderr.resume();
  child.once('error', (e) => process.send({ id, error: e.message }));
  child.once('close', (code) => process.send({ id, ms: performance.now() - t0, code, stdout }));
});
`;

export interface BareSpawner {
  /** Spawns and waits in the bare process; resolves with the time it took there, in ms. */
  run(command: string, args: string[], expectStdout: string): Promise<number>;
  stop(): void;
}

export function startBareSpawner(): BareSpawner {
  const child: ChildProcess = spawn(process.execPath, ['-e', SPAWNER], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], env: { ...process.env, NODE_OPTIONS: '' } });
  type Reply = { id: number; ms?: number; code?: number; stdout?: string; error?: string };
  const waiting = new Map<number, (reply: Reply) => void>();
  let next = 1;
  child.on('message', (reply: Reply) => waiting.get(reply.id)?.(reply));
  return {
    run(command, args, expectStdout) {
      const id = next++;
      return new Promise((resolve, reject) => {
        waiting.set(id, (reply) => {
          waiting.delete(id);
          if (reply.error) reject(new Error(`bare ${command}: ${reply.error}`));
          else if (reply.code !== 0 || reply.stdout !== expectStdout) reject(new Error(`bare ${command} ${args.join(' ')}: exit ${reply.code}, stdout ${JSON.stringify(reply.stdout)}`));
          else resolve(reply.ms!);
        });
        child.send({ id, command, args });
      });
    },
    stop() {
      child.kill();
    },
  };
}
