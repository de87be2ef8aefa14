import { randomUUID } from 'node:crypto';
import { printTable, round, runLoad } from './load.js';
import { devToken, startBenchService } from './service-process.js';

/** (b) GET /v1.0/organization?$select=id over the local host, 16 concurrent keep-alive clients. */
export async function runOrganizationBench(): Promise<void> {
  const service = await startBenchService();
  try {
    const token = await devToken(service.url, { tid: randomUUID(), oid: randomUUID() });
    const headers = { authorization: `Bearer ${token}` };
    const health = await runLoad({ url: `${service.url}/health`, concurrency: 16, durationMs: 4_000 });
    const organization = await runLoad({ url: `${service.url}/v1.0/organization?$select=id`, headers, concurrency: 16, durationMs: 5_000 });
    printTable('HTTP over the local host, 16 concurrent clients', [
      {
        route: 'GET /health (storage ping, baseline)',
        'req/s': round(health.perSecond, 0),
        'p50 ms': round(health.p50Ms, 2),
        'p99 ms': round(health.p99Ms, 2),
        errors: health.errors,
      },
      {
        route: 'GET /v1.0/organization?$select=id',
        'req/s': round(organization.perSecond, 0),
        'p50 ms': round(organization.p50Ms, 2),
        'p99 ms': round(organization.p99Ms, 2),
        errors: organization.errors,
      },
    ]);
  } finally {
    await service.stop();
  }
}
