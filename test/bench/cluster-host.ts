import cluster from 'node:cluster';
import type { RunningLocalHost } from '../../shared/http/local-host.js';

interface ReadyMessage {
  type: 'ready';
  url: string;
}

/**
 * The local host on `workers` processes sharing one port (node:cluster: the primary accepts
 * connections and hands them to the workers round-robin). Every process runs this same script:
 * the primary forks the workers and hands each the same `init` value (e.g. the development-mode
 * token signing key, so a token issued by one worker verifies on all); a worker calls `startWorker`
 * with it. Resolves in the primary once every worker listens; never resolves in a worker.
 */
export async function startClusterHost<Init>(options: {
  workers: number;
  init: () => Promise<Init>;
  startWorker: (init: Init) => Promise<RunningLocalHost>;
}): Promise<RunningLocalHost> {
  if (cluster.isWorker) {
    const init = await new Promise<Init>((resolve) => process.once('message', (message: { type: string; init: Init }) => resolve(message.init)));
    const host = await options.startWorker(init);
    process.send?.({ type: 'ready', url: host.url } satisfies ReadyMessage);
    process.on('disconnect', () => void host.close().then(() => process.exit(0)));
    return new Promise<never>(() => undefined);
  }
  const init = await options.init();
  const workers = Array.from({ length: options.workers }, () => cluster.fork());
  const urls = await Promise.all(
    workers.map(
      (worker) =>
        new Promise<string>((resolve, reject) => {
          worker.once('exit', (code) => reject(new Error(`local host worker exited with ${code}`)));
          worker.on('message', (message: ReadyMessage) => {
            if (message.type === 'ready') resolve(message.url);
          });
          worker.send({ type: 'init', init });
        }),
    ),
  );
  const url = urls[0] ?? '';
  return {
    url,
    port: Number(new URL(url).port),
    close: async () => {
      await Promise.all(
        workers.map(
          (worker) =>
            new Promise<void>((resolve) => {
              if (worker.isDead()) return resolve();
              worker.once('exit', () => resolve());
              worker.disconnect();
            }),
        ),
      );
    },
  };
}
