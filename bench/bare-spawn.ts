import { spawn } from 'node:child_process';

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
