// The ceiling of the log benchmark: a bare node:http server that, for every request, runs the
// command in the `command` query parameter and pipes its stdout into the response as it comes,
// with no framing, no splitting and no checks. What the emulator's follow streams do on top of
// this (lines, frames, spec checks) is what the benchmark prices. Run as its own process, like
// the emulator.
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';

const server = createServer((req, res) => {
  const command = new URL(req.url ?? '/', 'http://localhost').searchParams.get('command');
  if (!command) {
    res.writeHead(400).end('give ?command=');
    return;
  }
  const child = spawn('sh', ['-c', command], { stdio: ['ignore', 'pipe', 'ignore'], detached: true });
  res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
  // pipe() holds the writer back when the reader is slow, as the follow streams do.
  child.stdout.pipe(res);
  res.once('close', () => {
    if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
  });
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  process.stdout.write(`bare pipe server listening on http://127.0.0.1:${port}\n`);
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => server.close(() => process.exit(0)));
