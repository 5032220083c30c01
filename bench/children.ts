import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project root: the CLI, specs/ and node_modules/ are found from here. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** What `npm start` runs: the launcher of the CLI's bundle (bin/sandbox-emulator.js). */
export const CLI = join(ROOT, 'bin', 'sandbox-emulator.js');
export const PRISM_BIN = join(ROOT, 'node_modules', '@stoplight', 'prism-cli', 'dist', 'index.js');
export const BLAXEL_SPEC = join(ROOT, 'specs', 'blaxel.yaml');

// Every server and pipe the bench starts is tracked here, so that whatever happens (an error,
// Ctrl-C) it ends when the bench ends. Each leads its own process group: a signal to the group
// reaches a shell pipeline's every member, and only what the bench started.
const live = new Set<ChildProcess>();
/** Set once the bench is being stopped: nothing new is started after that. */
let stopping = false;

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // Already gone.
    }
  }
}

/** Spawns a tracked child leading its own process group. */
export function spawnTracked(command: string, args: string[], options: SpawnOptions = {}): ChildProcess {
  if (stopping) throw new Error('Failed to start a process: the bench is stopping.');
  const child = spawn(command, args, { cwd: ROOT, ...options, detached: true });
  live.add(child);
  child.once('exit', () => live.delete(child));
  child.once('error', () => live.delete(child));
  return child;
}

/** SIGTERM to the child's group, SIGKILL after `graceMs`; resolves once it has exited. */
export async function endChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
  signalGroup(child, 'SIGTERM');
  const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Ends every child still running; used on the way out, whatever the way. */
export async function endAll(): Promise<void> {
  await Promise.all([...live].map((child) => endChild(child, 3_000)));
}

let hooked = false;
/** Makes Ctrl-C, SIGTERM and a crash end every child the bench started. */
export function endChildrenOnExit(): void {
  if (hooked) return;
  hooked = true;
  // Last resort: 'exit' handlers run synchronously, so only a signal can be sent here.
  process.on('exit', () => {
    for (const child of live) signalGroup(child, 'SIGKILL');
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      stopping = true;
      process.stderr.write(`\nbench: ${signal}, ending every process the bench started...\n`);
      void endAll().finally(() => process.exit(130));
    });
  }
}

/** A port free on 127.0.0.1 right now (for servers that need one given up front). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

export interface RunningServer {
  child: ChildProcess;
  pid: number;
  origin: string;
  /** What the server wrote to stderr (spec violations, crashes). */
  stderr(): string;
  stop(): Promise<void>;
}

function collect(child: ChildProcess, alsoStdout = false): () => string {
  let text = '';
  const keep = (chunk: Buffer) => {
    // Bounded: a chatty server must not grow the bench's memory.
    if (text.length < 64 * 1024) text += chunk.toString('utf8');
  };
  child.stderr?.on('data', keep);
  if (alsoStdout) child.stdout?.on('data', keep);
  return () => text;
}

/** Waits for `listening on http://...` on the child's stdout. */
function awaitListening(child: ChildProcess, what: string, stderr: () => string, timeoutMs = 30_000): Promise<string> {
  return new Promise((resolveOrigin, reject) => {
    let seen = '';
    const timer = setTimeout(() => fail(`no 'listening on' line within ${timeoutMs} ms`), timeoutMs);
    const onData = (chunk: Buffer) => {
      seen += chunk.toString('utf8');
      const match = /listening on (http:\/\/[^\s)]+)/.exec(seen);
      if (match) {
        cleanup();
        // The rest of stdout is not read for content, but must be drained.
        child.stdout?.resume();
        resolveOrigin(match[1]);
      }
    };
    const onExit = (code: number | null) => fail(`it exited with code ${code}`);
    function cleanup() {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
    }
    function fail(reason: string) {
      cleanup();
      reject(new Error(`Failed to start ${what}: ${reason}. ${stderr().trim().split('\n').slice(-5).join(' | ')}`));
    }
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
  });
}

/** The emulator as users run it: `node bin/sandbox-emulator.js start --port 0 --quiet ...`, as `npm start` does. */
export async function startEmulatorCli(extraArgs: string[] = []): Promise<RunningServer> {
  const child = spawnTracked(process.execPath, [CLI, 'start', '--port', '0', '--quiet', ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stderr = collect(child);
  try {
    const origin = await awaitListening(child, 'the emulator', stderr);
    return { child, pid: child.pid!, origin, stderr, stop: () => endChild(child) };
  } catch (error) {
    await endChild(child);
    throw error;
  }
}

/** A bare server of the bench's own (a file in bench/), in a process of its own. */
async function startBenchServer(file: string, what: string, env: NodeJS.ProcessEnv = {}): Promise<RunningServer> {
  const child = spawnTracked(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', file)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  const stderr = collect(child);
  try {
    const origin = await awaitListening(child, what, stderr);
    return { child, pid: child.pid!, origin, stderr, stop: () => endChild(child) };
  } catch (error) {
    await endChild(child);
    throw error;
  }
}

/** The bare node:http server answering one fixed JSON body: the ceiling of request throughput. */
export function startBareServer(body: string): Promise<RunningServer> {
  return startBenchServer('bare-json-server.ts', 'the bare node:http server', { BENCH_BODY: body });
}

/** The bare node:http server piping a command's stdout into its answer: the ceiling of the log follow. */
export function startBarePipeServer(): Promise<RunningServer> {
  return startBenchServer('bare-pipe-server.ts', 'the bare pipe server');
}

export function prismInstalled(): string | undefined {
  return existsSync(PRISM_BIN) ? undefined : `@stoplight/prism-cli is not installed (${PRISM_BIN} is missing); run npm install`;
}

/**
 * `prism mock -p PORT specs/blaxel.yaml`, run with this node. `--errors` makes request
 * violations answer errors (validation on, as ours); `-v error` keeps its per-request log
 * lines off, as `--quiet` does for ours, so neither pays for logging.
 */
export function spawnPrism(port: number): { child: ChildProcess; stderr: () => string } {
  const child = spawnTracked(
    process.execPath,
    [PRISM_BIN, 'mock', '-p', String(port), '-h', '127.0.0.1', '--errors', '-v', 'error', BLAXEL_SPEC],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  // Prism logs to stdout; both are kept (bounded) to say why, should it fail to start.
  return { child, stderr: collect(child, true) };
}
