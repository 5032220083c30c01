import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startEmulatorContainer } from '../../../exports/testcontainers.ts';
import type { ContractTarget } from '../contract-target.ts';
import { emulatorBaseUrl } from './emulator-layout.ts';
import { awaitImageBuild } from './image-status.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
export const EMULATOR_IMAGE = 'sandbox-emulator:contract';

/** Why the container target cannot run here, or undefined when a Docker engine answers. */
export async function containerUnavailable(): Promise<string | undefined> {
  await awaitImageBuild();
  if (process.env.SANDBOX_EMULATOR_CONTAINER_SKIP) return process.env.SANDBOX_EMULATOR_CONTAINER_SKIP;
  try {
    await promisify(execFile)('docker', ['info', '--format', '{{.ServerVersion}}'], { timeout: 10_000 });
    return undefined;
  } catch (error) {
    const detail = (error as { stderr?: string }).stderr?.trim().split('\n')[0] || (error as Error).message;
    return `no Docker engine answers (${detail}); as root, scripts/docker-engine.sh starts one`;
  }
}

/**
 * Builds the project's Dockerfile into the image the container target runs (no registry pull),
 * unless an image built from the same inputs is there already: a build takes most of a minute
 * and the checks a second, so an unchanged checkout reuses its image. It says which it does.
 */
export async function buildEmulatorImage(log: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): Promise<string> {
  // The reaper image cannot be pulled here; the target removes its own container instead.
  process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
  const inputs = await imageInputsHash(root);
  const byInputs = inputs ? `sandbox-emulator:inputs-${inputs.slice(0, 16)}` : undefined;
  const run = promisify(execFile);
  if (byInputs && (await run('docker', ['image', 'inspect', byInputs], { timeout: 30_000 }).then(() => true, () => false))) {
    log(`container target: reusing the image ${byInputs} (its inputs are unchanged)`);
    await run('docker', ['tag', byInputs, EMULATOR_IMAGE], { timeout: 30_000 });
    return EMULATOR_IMAGE;
  }
  log('container target: building the emulator image from the Dockerfile (no registry pull; this takes a minute)...');
  const started = Date.now();
  const { GenericContainer } = await import('testcontainers');
  await GenericContainer.fromDockerfile(root).build(EMULATOR_IMAGE, { deleteOnExit: false });
  if (byInputs) await run('docker', ['tag', EMULATOR_IMAGE, byInputs], { timeout: 30_000 });
  log(`container target: built ${byInputs ?? EMULATOR_IMAGE} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return EMULATOR_IMAGE;
}

/**
 * A hash of what the image is built from: every file git tracks or would track (the sources,
 * the specs, the Dockerfile, package-lock.json, which fixes node_modules), by path and content.
 * Undefined outside a git checkout: then the image is always built.
 */
export async function imageInputsHash(dir: string): Promise<string | undefined> {
  let listed: string;
  try {
    ({ stdout: listed } = await promisify(execFile)('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: dir, maxBuffer: 64 * 1024 * 1024 }));
  } catch {
    return undefined;
  }
  const hash = createHash('sha256');
  for (const file of [...new Set(listed.split('\0').filter(Boolean))].sort()) {
    const content = await readFile(join(dir, file)).catch(() => undefined);
    // A tracked file deleted in the working tree is not an input any more.
    if (content === undefined) continue;
    hash.update(`${file}\0${content.length}\0`).update(content);
  }
  return hash.digest('hex');
}

/**
 * The emulator's own image, run with testcontainers (the package's startEmulatorContainer). The
 * image is the one the test run built once (SANDBOX_EMULATOR_IMAGE), or is built now from the
 * checkout's Dockerfile; an installed package has none and runs the image `sandbox-emulator`.
 * Closing the target stops and removes it.
 */
export async function startContainerTarget(options: { args?: string[] } = {}): Promise<ContractTarget> {
  process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
  const image = process.env.SANDBOX_EMULATOR_IMAGE ?? (existsSync(join(root, 'Dockerfile')) ? await buildEmulatorImage() : undefined);
  const started = await startEmulatorContainer({ image, args: options.args });
  return {
    name: 'container',
    baseUrl: emulatorBaseUrl(started.urls.origin),
    fetch: globalThis.fetch,
    close: () => started.stop(),
  };
}
