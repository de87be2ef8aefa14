import { decodeJwt } from 'jose';
import type { MfaRequiredError } from '../client/errors.js';
import { bearerCredential, type Credential } from '../client/http.js';
import { PinResetClient } from '../client/pin-reset-client.js';
import { stringOption, UsageError, type OptionValues } from './args.js';
import { SignInSession, tokenCachePath } from './sign-in-session.js';
import { loadState, resolveStatePath, type AgentState } from './state.js';

/** Where `npm start` serves: http://localhost:${PORT:-7071}, so the agent follows a moved port. */
export function defaultServiceUrl(env: NodeJS.ProcessEnv): string {
  return `http://localhost:${env.PORT || 7071}`;
}

export interface AgentIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: NodeJS.ProcessEnv;
  /** Asks the user one question (confirmations); undefined = no one to ask. Default: the terminal, if any. */
  ask?: (question: string) => Promise<string | undefined>;
}

export const processIo: AgentIo = {
  stdout: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  stderr: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
  env: process.env,
};

export interface TokenClaims {
  tid: string;
  oid: string;
  upn: string | undefined;
  amr: string[];
}

export interface AcquiredToken {
  credential: Credential;
  claims: TokenClaims;
  /** Where the token came from, for messages. */
  source: 'option' | 'environment' | 'signIn';
}

/** Reads (without verifying: the service does that) the claims the agent needs from a token. */
export function claimsOf(token: string): TokenClaims {
  let payload: Record<string, unknown>;
  try {
    payload = decodeJwt(token);
  } catch {
    throw new UsageError('The access token is not a JWT.');
  }
  const tid = typeof payload.tid === 'string' ? payload.tid : undefined;
  const oid = typeof payload.oid === 'string' ? payload.oid : undefined;
  if (!tid || !oid) throw new UsageError('The access token has no tid/oid claims (is it a user token for the PIN reset service?).');
  const upn = [payload.upn, payload.preferred_username, payload.unique_name].find((value): value is string => typeof value === 'string');
  return { tid: tid.toLowerCase(), oid: oid.toLowerCase(), upn, amr: Array.isArray(payload.amr) ? payload.amr.map(String) : [] };
}

/** Everything a command needs: parsed options, output, the client, the state file, tokens. */
export class CommandContext {
  readonly json: boolean;
  readonly statePath: string;
  private clientInstance: PinResetClient | undefined;
  private state: AgentState | undefined;
  private sessionInstance: SignInSession | undefined;
  private jsonEmitted = false;

  constructor(
    readonly io: AgentIo,
    readonly values: OptionValues,
    readonly positionals: string[],
  ) {
    this.json = values.json === true;
    this.statePath = resolveStatePath(stringOption(values, 'state'), io.env);
  }

  /** Human output (suppressed with --json). */
  say(text: string = ''): void {
    if (!this.json) this.io.stdout(text);
  }

  warn(text: string): void {
    this.io.stderr(text);
  }

  /** The one JSON document of a --json run. */
  emit(value: unknown): void {
    if (this.json && !this.jsonEmitted) {
      this.jsonEmitted = true;
      this.io.stdout(JSON.stringify(value, null, 2));
    }
  }

  async loadState(): Promise<AgentState> {
    this.state ??= await loadState(this.statePath, (message) => this.warn(message));
    return this.state;
  }

  async tryLoadState(): Promise<AgentState | undefined> {
    try {
      return await this.loadState();
    } catch {
      return undefined;
    }
  }

  /** --url, then PINRESET_URL, then the enrolled service, then the local default. */
  serviceUrl(state?: AgentState): string {
    return (stringOption(this.values, 'url') || this.io.env.PINRESET_URL || state?.serviceUrl || defaultServiceUrl(this.io.env)).replace(/\/+$/, '');
  }

  client(state?: AgentState): PinResetClient {
    this.clientInstance ??= new PinResetClient({
      baseUrl: this.serviceUrl(state),
      retry: { maxDelayMs: Number(this.io.env.PINRESET_AGENT_MAX_RETRY_DELAY_MS ?? 30_000) },
      onRetry: ({ attempt, delayMs, error }) =>
        this.warn(`${error.code} (${error.status}); retrying in ${Math.round(delayMs / 1000)} s (attempt ${attempt})...`),
    });
    return this.clientInstance;
  }

  /** The signed-in user of this state directory (token cache next to the state file). */
  get session(): SignInSession {
    this.sessionInstance ??= new SignInSession(tokenCachePath(this.statePath), { tell: (text) => this.warn(text), env: this.io.env });
    return this.sessionInstance;
  }

  /**
   * A user token: --token, else PINRESET_TOKEN, else the signed-in user's (refreshed silently when it
   * expires; on `401 MfaRequired` the user signs in again with the claims challenge and the request is
   * retried once).
   */
  async userToken(): Promise<AcquiredToken> {
    return this.givenToken('PINRESET_TOKEN') ?? this.signedInToken();
  }

  /** An admin token: --token, else PINRESET_ADMIN_TOKEN, else the signed-in user's (who must hold an admin role). */
  async adminToken(): Promise<AcquiredToken> {
    return this.givenToken('PINRESET_ADMIN_TOKEN') ?? this.signedInToken();
  }

  private async signedInToken(): Promise<AcquiredToken> {
    const session = this.session;
    const token = await session.accessToken();
    const credential: Credential = Object.assign(async () => `Bearer ${await session.accessToken()}`, {
      stepUp: (error: MfaRequiredError) => session.stepUp(error),
    });
    return { credential, claims: claimsOf(token), source: 'signIn' };
  }

  private givenToken(variable: string): AcquiredToken | undefined {
    const option = stringOption(this.values, 'token');
    const token = option || this.io.env[variable];
    if (!token) return undefined;
    return { credential: bearerCredential(token), claims: claimsOf(token), source: option ? 'option' : 'environment' };
  }

  /** The tenant the user named (--tenant, else PINRESET_TENANT), and where it was named; not the enrolled one. */
  namedTenant(): { tenant: string; namedBy: '--tenant' | 'PINRESET_TENANT' } | undefined {
    const option = stringOption(this.values, 'tenant');
    if (option) return { tenant: option.toLowerCase(), namedBy: '--tenant' };
    const variable = this.io.env.PINRESET_TENANT;
    return variable ? { tenant: variable.toLowerCase(), namedBy: 'PINRESET_TENANT' } : undefined;
  }

  /** --tenant, then PINRESET_TENANT, then the enrolled tenant. */
  tenantId(state?: AgentState): string | undefined {
    return (stringOption(this.values, 'tenant') || this.io.env.PINRESET_TENANT || state?.tenantId)?.toLowerCase();
  }
}
