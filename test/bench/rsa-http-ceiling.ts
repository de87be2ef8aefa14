/**
 * The ceiling the HTTP decrypt figures are set beside: bare `node:http` on the same number of cluster
 * workers, doing per request only what no decrypt service can skip (read the JSON body, one RSA-3072
 * OAEP-SHA256 privateDecrypt, answer JSON): no token check, no storage, no audit, no Azurite. Driven by
 * the same load generator as the service, it shows how much of the two shared cores is left for
 * everything else. Prints `READY <url>`. Settings: PORT, BENCH_HOST_WORKERS, BENCH_RSA_PRIVATE_PEM.
 */
import cluster from 'node:cluster';
import { constants, createPrivateKey, privateDecrypt } from 'node:crypto';
import { createServer } from 'node:http';

const workers = Number(process.env.BENCH_HOST_WORKERS ?? 1);
const port = Number(process.env.PORT ?? 0);

if (cluster.isPrimary && workers > 1) {
  const forks = Array.from({ length: workers }, () => cluster.fork());
  await Promise.all(forks.map((worker) => new Promise((resolve) => worker.once('listening', resolve))));
  process.stdout.write(`READY http://127.0.0.1:${port}\n`);
  process.on('SIGTERM', () => {
    for (const worker of forks) worker.kill();
    process.exit(0);
  });
} else {
  const key = createPrivateKey(process.env.BENCH_RSA_PRIVATE_PEM ?? '');
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const { wrapped } = JSON.parse(Buffer.concat(chunks).toString()) as { wrapped: string };
      const secret = privateDecrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, Buffer.from(wrapped, 'base64url'));
      const body = JSON.stringify({ secret: secret.toString('base64') });
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      response.end(body);
    });
  });
  server.listen(port, '127.0.0.1', () => {
    if (cluster.isPrimary) process.stdout.write(`READY http://127.0.0.1:${port}\n`);
  });
  process.on('SIGTERM', () => process.exit(0));
}
