// A user's script that starts the emulator's image with testcontainers, run by package.test.ts
// in the fresh project when a Docker engine and the image are there. The image is named by
// SANDBOX_EMULATOR_IMAGE. It prints one JSON line of what it saw.
import { startEmulatorContainer } from 'sandbox-emulator/testcontainers';

const emulator = await startEmulatorContainer({ args: ['--providers', 'agentbox'] });
try {
  const answer = await fetch(`${emulator.urls.agentbox.endpoint}/ping`);
  process.stdout.write(`${JSON.stringify({ status: answer.status, origin: emulator.urls.origin })}\n`);
} finally {
  await emulator.stop();
}
