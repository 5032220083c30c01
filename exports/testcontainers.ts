// `sandbox-emulator/testcontainers`: the emulator's container image, started with testcontainers,
// for tests that want the emulator in its own container (as a CI service would run it).
// testcontainers is a peer dependency, loaded only when a container is started.
//
//   import { startEmulatorContainer } from 'sandbox-emulator/testcontainers';
//   const emulator = await startEmulatorContainer();   // the image `sandbox-emulator`
//   emulator.urls.blaxel.sandbox('box');               // http://localhost:<mapped port>/blaxel/...
//   await emulator.stop();
import type { StartedTestContainer } from 'testcontainers';
import { baseUrls, type BaseUrls } from '../emulator/index.ts';

/** The port the image's emulator listens on inside the container. */
export const EMULATOR_CONTAINER_PORT = 4747;

export interface EmulatorContainerOptions {
  /**
   * The image to run. Default: SANDBOX_EMULATOR_IMAGE, or `sandbox-emulator`, the name the
   * README builds it under (`docker build -t sandbox-emulator .` in a checkout of the project).
   */
  image?: string;
  /** Arguments for the image's `start` command, e.g. ['--providers', 'blaxel', '--fidelity', 'observed']. Default: none. */
  args?: readonly string[];
  /** Longest wait for the emulator to say it listens. Default 60 s: a cold Docker engine is slow to start a first container. */
  startupTimeoutMs?: number;
}

export interface StartedEmulatorContainer {
  /** Base URLs of each provider on the container's mapped port. */
  readonly urls: BaseUrls;
  /** The testcontainers handle, for logs or exec. */
  readonly container: StartedTestContainer;
  /** Stops and removes the container; every process the emulator started ends with it. */
  stop(): Promise<void>;
}

/** Starts the emulator's image and resolves once it listens, with the base URLs on the host. */
export async function startEmulatorContainer(options: EmulatorContainerOptions = {}): Promise<StartedEmulatorContainer> {
  let testcontainers: typeof import('testcontainers');
  try {
    testcontainers = await import('testcontainers');
  } catch (error) {
    throw new Error(
      `Failed to start the emulator's container: the testcontainers package cannot be loaded (${(error as Error).message}). Install it beside sandbox-emulator: npm install --save-dev testcontainers.`,
    );
  }
  const { GenericContainer, Wait } = testcontainers;
  const image = options.image ?? process.env.SANDBOX_EMULATOR_IMAGE ?? 'sandbox-emulator';
  const container = await new GenericContainer(image)
    .withExposedPorts(EMULATOR_CONTAINER_PORT)
    // --quiet: no line per request in the container's log; the banner still says it listens.
    .withCommand(['--quiet', ...(options.args ?? [])])
    .withWaitStrategy(Wait.forLogMessage(/listening on/))
    .withStartupTimeout(options.startupTimeoutMs ?? 60_000)
    .start();
  const urls = baseUrls(`http://${container.getHost()}:${container.getMappedPort(EMULATOR_CONTAINER_PORT)}`);
  let stopping: Promise<void> | undefined;
  return {
    urls,
    container,
    stop() {
      // The emulator ends its processes on SIGTERM; 10 s is ample before Docker's SIGKILL.
      stopping ??= container.stop({ timeout: 10_000 }).then(() => undefined);
      return stopping;
    },
  };
}
