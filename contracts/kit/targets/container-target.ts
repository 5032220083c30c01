import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startEmulatorContainer } from '../../../exports/testcontainers.ts';
import type { ContractTarget } from '../contract-target.ts';
import { emulatorBaseUrl } from './emulator-layout.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
export const EMULATOR_IMAGE = 'sandbox-emulator:contract';

/** Why the container target cannot run here, or undefined when a Docker engine answers. */
export async function containerUnavailable(): Promise<string | undefined> {
  if (process.env.SANDBOX_EMULATOR_CONTAINER_SKIP) return process.env.SANDBOX_EMULATOR_CONTAINER_SKIP;
  try {
    await promisify(execFile)('docker', ['info', '--format', '{{.ServerVersion}}'], { timeout: 10_000 });
    return undefined;
  } catch (error) {
    const detail = (error as { stderr?: string }).stderr?.trim().split('\n')[0] || (error as Error).message;
    return `no Docker engine answers (${detail}); as root, scripts/docker-engine.sh starts one`;
  }
}

/** Builds the project's Dockerfile into the image the container target runs (no registry pull). */
export async function buildEmulatorImage(): Promise<string> {
  // The reaper image cannot be pulled here; the target removes its own container instead.
  process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
  const { GenericContainer } = await import('testcontainers');
  await GenericContainer.fromDockerfile(root).build(EMULATOR_IMAGE, { deleteOnExit: false });
  return EMULATOR_IMAGE;
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
