import { watch } from 'node:fs';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';

// The emulator's image takes most of a minute to build, and only the container target needs it.
// So the test run's global setup starts the build and lets the test files go at once; it writes
// how the build ended to a file, and a file that needs the image waits for that file (an fs
// event, not a poll), while the files that do not need it run meanwhile.

const STATUS_VARIABLE = 'SANDBOX_EMULATOR_IMAGE_STATUS';
/** Longest wait for the build: a first build on a slow machine included. */
const WAIT_MS = 15 * 60_000;

type Status = { image: string } | { skip: string };

/**
 * In the global setup: tells the test files where the build's end will be written, and writes
 * it when the build ends. The promise resolves once written; `remove` deletes the file.
 */
export function announceImageBuild(build: Promise<string>): { written: Promise<void>; remove(): Promise<void> } {
  const file = join(tmpdir(), `sandbox-emulator-image-${process.pid}.json`);
  process.env[STATUS_VARIABLE] = file;
  const write = async (status: Status) => {
    // Written aside, then renamed: a reader sees the whole file or none.
    await writeFile(`${file}.part`, JSON.stringify(status));
    await rename(`${file}.part`, file);
  };
  const written = build.then(
    (image) => write({ image }),
    (error: Error) => write({ skip: `could not build the emulator image: ${error.message}` }),
  );
  return { written, remove: () => rm(file, { force: true }) };
}

/**
 * In a test file: waits for the build the global setup started, if any, and then sets what the
 * container target reads: SANDBOX_EMULATOR_IMAGE, or SANDBOX_EMULATOR_CONTAINER_SKIP with why.
 */
export async function awaitImageBuild(): Promise<void> {
  const file = process.env[STATUS_VARIABLE];
  if (!file || process.env.SANDBOX_EMULATOR_IMAGE || process.env.SANDBOX_EMULATOR_CONTAINER_SKIP) return;
  const status = await waitForFile(file).then(
    async () => JSON.parse(await readFile(file, 'utf8')) as Status,
    (error: Error) => ({ skip: error.message }),
  );
  if ('image' in status) process.env.SANDBOX_EMULATOR_IMAGE = status.image;
  else process.env.SANDBOX_EMULATOR_CONTAINER_SKIP = status.skip;
}

function waitForFile(file: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const watcher = watch(dirname(file), (_event, name) => {
      if (name === basename(file)) check();
    });
    const timer = setTimeout(() => finish(new Error(`the emulator image was not built within ${WAIT_MS / 60_000} minutes`)), WAIT_MS);
    const finish = (error?: Error) => {
      clearTimeout(timer);
      watcher.close();
      if (error) reject(error);
      else resolve();
    };
    const check = () =>
      void readFile(file).then(
        () => finish(),
        () => undefined,
      );
    // After the watch is armed: the file may be there already.
    check();
  });
}
