import { Agent, request } from 'node:http';

export interface LoadOptions {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  /** A fixed body, or a function returning a fresh one per request. */
  body?: string | (() => string);
  /** Per-request headers and body (e.g. a different user each time); overrides `headers`/`body`. */
  next?: () => { headers: Record<string, string>; body?: string };
  concurrency: number;
  durationMs: number;
  warmupMs?: number;
  expectStatus?: number;
  /**
   * Called when the measured part begins and when it ends (after the warm-up; before the clients
   * stop), with the number of expected answers so far, measured or not.
   */
  onMeasuring?: (phase: 'start' | 'end', answered: number) => void;
}

export interface LoadResult {
  requests: number;
  errors: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
}

/** The `fraction` percentile of already sorted values. */
export function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] ?? Number.NaN;
}

/** Closed-loop load: `concurrency` keep-alive clients each send the next request when the last answers. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
  const target = new URL(options.url);
  const latencies: number[] = [];
  let errors = 0;
  let answered = 0;
  let measuring = false;
  let stopped = false;

  const once = () =>
    new Promise<void>((resolve) => {
      const fresh = options.next?.();
      const body = fresh ? fresh.body : typeof options.body === 'function' ? options.body() : options.body;
      const started = performance.now();
      const outgoing = request(
        {
          agent,
          host: target.hostname,
          port: target.port,
          path: `${target.pathname}${target.search}`,
          method: options.method ?? 'GET',
          headers: { ...(fresh ? fresh.headers : options.headers), ...(body ? { 'content-length': Buffer.byteLength(body) } : {}) },
        },
        (response) => {
          response.resume();
          response.on('end', () => {
            if (response.statusCode === (options.expectStatus ?? 200)) answered += 1;
            if (measuring) {
              if (response.statusCode === (options.expectStatus ?? 200)) latencies.push(performance.now() - started);
              else errors += 1;
            }
            resolve();
          });
        },
      );
      outgoing.on('error', () => {
        if (measuring) errors += 1;
        resolve();
      });
      outgoing.end(body);
    });

  const client = async () => {
    while (!stopped) await once();
  };
  const clients = Array.from({ length: options.concurrency }, client);
  await new Promise((resolve) => setTimeout(resolve, options.warmupMs ?? 1_000));
  measuring = true;
  options.onMeasuring?.('start', answered);
  const started = performance.now();
  await new Promise((resolve) => setTimeout(resolve, options.durationMs));
  measuring = false;
  options.onMeasuring?.('end', answered);
  const elapsedMs = performance.now() - started;
  stopped = true;
  await Promise.all(clients);
  agent.destroy();
  const sorted = [...latencies].sort((a, b) => a - b);
  return { requests: sorted.length, errors, perSecond: (sorted.length / elapsedMs) * 1000, p50Ms: percentile(sorted, 0.5), p99Ms: percentile(sorted, 0.99) };
}

export function printTable(title: string, rows: Record<string, string | number>[]): void {
  console.log(`\n${title}`);
  console.table(rows);
}

export const round = (value: number, digits = 1): number => Number(value.toFixed(digits));
