import { outboundFetch } from '../outbound-fetch.js';

/** Calls to Microsoft (token endpoint, Graph) with a small, injectable retry policy. */

export type GraphErrorKind = 'unavailable' | 'accessDenied';

/** Microsoft could not be reached (`unavailable`) or refused the service app (`accessDenied`). */
export class GraphError extends Error {
  constructor(
    readonly kind: GraphErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'GraphError';
  }
}

export interface RetryPolicy {
  /** Waits before each retry; the number of attempts is `delaysMs.length + 1`. */
  delaysMs: readonly number[];
  timeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { delaysMs: [100, 300, 900], timeoutMs: 10_000 };

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function retryable(status: number): boolean {
  return status === 429 || status >= 500;
}

/**
 * fetch with retries on network errors, 429 and 5xx. Answers the last response (or throws
 * `GraphError('unavailable')` when the last attempt failed at the network level or was still 429/5xx).
 */
export async function fetchWithRetry(url: string, init: RequestInit, policy: RetryPolicy): Promise<Response> {
  const sleep = policy.sleep ?? defaultSleep;
  let lastProblem = '';
  for (let attempt = 0; attempt <= policy.delaysMs.length; attempt += 1) {
    if (attempt > 0) await sleep(policy.delaysMs[attempt - 1] ?? 0);
    try {
      const response = await outboundFetch(url, { ...init, signal: AbortSignal.timeout(policy.timeoutMs ?? 10_000) });
      if (!retryable(response.status)) return response;
      lastProblem = `HTTP ${response.status}`;
      await response.body?.cancel().catch(() => undefined);
    } catch (error) {
      lastProblem = error instanceof Error ? error.message : String(error);
    }
  }
  throw new GraphError('unavailable', `${new URL(url).host} did not answer successfully after ${policy.delaysMs.length + 1} attempts (${lastProblem}).`);
}
