import { randomUUID } from 'node:crypto';
import { errorFromResponse, type GraphApiError, MfaRequiredError, ServiceUnreachableError, UntrustedUrlError } from './errors.js';

/**
 * Produces the `Authorization` header value for one attempt. Called again for every retry, so a
 * device assertion gets a fresh `jti` each time (the service refuses a replayed one).
 */
export type Credential = (() => Promise<string>) & {
  /**
   * Called on `401 MfaRequired` when the caller can sign in again with the service's claims challenge;
   * the request is then retried once with the credential's new token.
   */
  stepUp?: (error: MfaRequiredError) => Promise<void>;
};

export const bearerCredential = (token: string | (() => Promise<string>)): Credential =>
  typeof token === 'string' ? async () => `Bearer ${token}` : async () => `Bearer ${await token()}`;

export interface RetryPolicy {
  /** Retries after the first attempt, for 429 and 503 only. */
  maxRetries: number;
  /** When the answer has no Retry-After: base delay, doubled each retry. */
  baseDelayMs: number;
  /** A Retry-After longer than this is not waited for: the error is surfaced instead. */
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxRetries: 3, baseDelayMs: 500, maxDelayMs: 30_000 };

export interface HttpClientOptions {
  baseUrl: string;
  retry?: Partial<RetryPolicy>;
  /** Injectable for tests. */
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  /** Sent as `client-request-id` on every request unless a call gives its own. */
  clientRequestId?: () => string;
  /** Called before each retry (for a CLI's progress output). */
  onRetry?: (info: { attempt: number; delayMs: number; error: GraphApiError }) => void;
}

export interface RequestOptions {
  credential?: Credential;
  /** JSON body (serialised) or a form (application/x-www-form-urlencoded). */
  json?: unknown;
  form?: Record<string, string>;
  headers?: Record<string, string>;
  /** Statuses that are not errors for this call besides 2xx (e.g. 304). */
  accept?: readonly number[];
}

export interface ServiceResponse<T> {
  status: number;
  headers: Headers;
  body: T;
  requestId: string | undefined;
}

const RETRYABLE = new Set([429, 503]);

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The transport of the client library: base URL, JSON in and out, Graph errors as typed errors,
 * 429/503 retried a bounded number of times honouring `Retry-After`.
 */
export class HttpClient {
  readonly baseUrl: string;
  private readonly retry: RetryPolicy;
  private readonly fetchImpl: typeof fetch;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: HttpClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.retry = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.fetchImpl = options.fetch ?? fetch;
    this.sleep = options.sleep ?? defaultSleep;
  }

  /**
   * A path is resolved against the base URL. An absolute URL (e.g. `@odata.nextLink`) is used only when
   * its origin is the service's: the request carries the caller's credential, which must never go to
   * another host.
   */
  url(path: string): string {
    if (!/^[a-z][a-z0-9+.-]*:/i.test(path)) return `${this.baseUrl}${path.startsWith('/') ? '' : '/'}${path}`;
    const origin = new URL(this.baseUrl).origin;
    let target: URL;
    try {
      target = new URL(path);
    } catch {
      throw new UntrustedUrlError(`Refusing to request '${path}': not a valid URL on the service (${origin}).`);
    }
    if (target.origin !== origin) {
      throw new UntrustedUrlError(
        `Refusing to follow a link to ${target.origin}: it is not the service's origin (${origin}), and the request would carry your credential there.`,
      );
    }
    return target.href;
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<ServiceResponse<T>> {
    const url = this.url(path);
    const clientRequestId = options.headers?.['client-request-id'] ?? this.options.clientRequestId?.() ?? randomUUID();
    let steppedUp = false;
    for (let attempt = 0; ; attempt += 1) {
      const headers: Record<string, string> = { Accept: 'application/json', 'client-request-id': clientRequestId, ...options.headers };
      if (options.credential) headers.Authorization = await options.credential();
      let body: string | undefined;
      if (options.json !== undefined) {
        headers['Content-Type'] = 'application/json';
        body = JSON.stringify(options.json);
      } else if (options.form) {
        headers['Content-Type'] = 'application/x-www-form-urlencoded';
        body = new URLSearchParams(options.form).toString();
      }
      let response: Response;
      try {
        response = await this.fetchImpl(url, { method, headers, body, redirect: 'manual' });
      } catch (error) {
        throw new ServiceUnreachableError(this.baseUrl, error);
      }
      const text = await response.text();
      if ((response.status >= 200 && response.status < 300) || options.accept?.includes(response.status)) {
        return {
          status: response.status,
          headers: response.headers,
          body: parseBody<T>(text, response),
          requestId: response.headers.get('request-id') ?? undefined,
        };
      }
      const error = errorFromResponse(response, text);
      if (error instanceof MfaRequiredError && options.credential?.stepUp && !steppedUp) {
        steppedUp = true;
        await options.credential.stepUp(error);
        continue;
      }
      const delayMs = this.retryDelay(error, attempt);
      if (delayMs === undefined) throw error;
      this.options.onRetry?.({ attempt: attempt + 1, delayMs, error });
      await this.sleep(delayMs);
    }
  }

  /** Undefined: do not retry. */
  private retryDelay(error: GraphApiError, attempt: number): number | undefined {
    if (!RETRYABLE.has(error.status) || attempt >= this.retry.maxRetries) return undefined;
    const delayMs = error.retryAfterSeconds !== undefined ? error.retryAfterSeconds * 1000 : this.retry.baseDelayMs * 2 ** attempt;
    return delayMs > this.retry.maxDelayMs ? undefined : delayMs;
  }
}

function parseBody<T>(text: string, response: Response): T {
  if (text.length === 0) return undefined as T;
  const type = response.headers.get('content-type') ?? '';
  if (type.includes('json')) return JSON.parse(text) as T;
  return text as T;
}
