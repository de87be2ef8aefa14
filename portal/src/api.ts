import type { GraphErrorEnvelope } from './types.js';

/** A failed call, as the service's Graph error envelope tells it; shown with its request id. */
export class GraphError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly requestId: string | undefined,
  ) {
    super(message);
  }
}

/** What the client needs of the sign-in session (auth.ts's Session); no DOM here, so tests run it in Node. */
export interface TokenSource {
  accessToken(options?: { forceRefresh?: boolean }): Promise<string | undefined>;
  signIn(options?: { claims?: string }): Promise<never>;
}

export interface ApiResponse<T> {
  status: number;
  body: T;
  headers: Headers;
}

/** `WWW-Authenticate: Bearer error="insufficient_claims", claims="<base64>"` → the claims JSON. */
export function claimsChallengeOf(header: string | null): string | undefined {
  if (!header || !/error="insufficient_claims"/i.test(header)) return undefined;
  const encoded = /claims="([^"]+)"/i.exec(header)?.[1];
  if (!encoded) return undefined;
  try {
    return atob(encoded.replace(/-/g, '+').replace(/_/g, '/'));
  } catch {
    return undefined;
  }
}

async function errorOf(response: Response): Promise<GraphError> {
  const requestId = response.headers.get('request-id') ?? undefined;
  try {
    const envelope = (await response.json()) as GraphErrorEnvelope;
    return new GraphError(response.status, envelope.error.code, envelope.error.message, envelope.error.innerError?.['request-id'] ?? requestId);
  } catch {
    return new GraphError(response.status, 'UnknownError', `The service answered ${response.status} ${response.statusText}.`, requestId);
  }
}

/**
 * Calls the service's Graph-style API with the admin's token. An expired token is refreshed and the
 * call retried once; a claims challenge (MfaRequired) or a session that cannot be refreshed sends
 * the admin through sign-in again and back to the same page.
 */
export class Api {
  /** `baseUrl`: the service's base URL (the page's own, see serviceBaseUrl()). */
  constructor(
    private readonly session: TokenSource,
    private readonly baseUrl: string,
  ) {}

  async call<T>(method: string, path: string, options: { body?: unknown; headers?: Record<string, string> } = {}): Promise<ApiResponse<T>> {
    let token = await this.session.accessToken();
    if (!token) return this.session.signIn();
    for (let attempt = 0; ; attempt += 1) {
      const headers = new Headers({ Accept: 'application/json', Authorization: `Bearer ${token}`, ...options.headers });
      if (options.body !== undefined) headers.set('Content-Type', 'application/json');
      const response = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers,
        body: options.body === undefined ? null : JSON.stringify(options.body),
      });
      if (response.status === 401) {
        const claims = claimsChallengeOf(response.headers.get('www-authenticate'));
        if (claims) return this.session.signIn({ claims });
        if (attempt === 0) {
          token = await this.session.accessToken({ forceRefresh: true });
          if (token) continue;
        }
        return this.session.signIn();
      }
      if (!response.ok) throw await errorOf(response);
      const text = response.status === 204 ? '' : await response.text();
      return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : undefined) as T };
    }
  }

  async get<T>(path: string, headers?: Record<string, string>): Promise<T> {
    return (await this.call<T>('GET', path, headers ? { headers } : {})).body;
  }
}
