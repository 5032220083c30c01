import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { buildEmulatorImage, containerUnavailable } from './targets/container-target.ts';
import { announceImageBuild } from './targets/image-status.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const PID_FILE = '/tmp/sandbox-emulator-dockerd.pid';

/**
 * Runs once before the test files: brings up what the container target needs (a Docker engine,
 * started by scripts/docker-engine.sh when the tests run as root and none answers, and the
 * emulator's image, built once for every suite). The build goes on while the test files run;
 * those that need the image wait for it (targets/image-status.ts). Without an engine, the
 * container target is skipped with the reason. The teardown waits for the build, then stops the
 * engine if this setup started it.
 * SANDBOX_EMULATOR_DOCKER=off skips all of it.
 */
export default async function setup(): Promise<() => Promise<void>> {
  let startedPid: number | undefined;
  if (process.env.SANDBOX_EMULATOR_DOCKER === 'off') {
    process.env.SANDBOX_EMULATOR_CONTAINER_SKIP = 'SANDBOX_EMULATOR_DOCKER=off';
    return async () => undefined;
  }
  if ((await containerUnavailable()) && process.getuid?.() === 0) {
    const before = existsSync(PID_FILE) ? readFileSync(PID_FILE, 'utf8') : undefined;
    try {
      await promisify(execFile)('bash', ['scripts/docker-engine.sh'], { cwd: root, timeout: 600_000 });
    } catch (error) {
      process.env.SANDBOX_EMULATOR_CONTAINER_SKIP = `could not start a Docker engine: ${(error as { stderr?: string }).stderr?.trim().split('\n').at(-1) ?? (error as Error).message}`;
    }
    const after = existsSync(PID_FILE) ? readFileSync(PID_FILE, 'utf8') : undefined;
    if (after && after !== before) startedPid = Number(after);
  }
  const unavailable = await containerUnavailable();
  if (unavailable) {
    process.env.SANDBOX_EMULATOR_CONTAINER_SKIP = unavailable;
    return async () => {
      if (startedPid) await stopDaemon(startedPid);
    };
  }
  const build = announceImageBuild(buildEmulatorImage());
  return async () => {
    await build.written;
    await build.remove();
    if (startedPid) await stopDaemon(startedPid);
  };
}

async function stopDaemon(pid: number): Promise<void> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  // dockerd stops its containers and containerd on SIGTERM; wait for it to be gone.
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  process.kill(pid, 'SIGKILL');
}
