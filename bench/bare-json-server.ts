// The ceiling of the request-throughput benchmark: a bare node:http server that answers every
// request with one fixed JSON body (BENCH_BODY) and does nothing else. Run as its own process,
// like the emulator and Prism, so that all three are loaded the same way.
import { createServer } from 'node:http';

const body = Buffer.from(process.env.BENCH_BODY ?? '{"ok":true}');
const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(body.length) }).end(body);
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  process.stdout.write(`bare json server listening on http://127.0.0.1:${port}\n`);
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => server.close(() => process.exit(0)));
