import { spawn } from 'node:child_process';
import { chmod, readFile, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { decodeJwt } from 'jose';
import type { MfaRequiredError } from '../client/errors.js';
import {
  refreshSignIn,
  SignInError,
  signInWithBrowser,
  signInWithDeviceCode,
  type DeviceCodePrompt,
  type SignInSettings,
  type TokenSet,
} from '../client/sign-in.js';
import { STATE_FILE_MODE, writePrivateJson } from './state.js';

export type SignInMethod = 'deviceCode' | 'browser';

/** The token cache file: one signed-in account per state directory. Never printed. */
export interface CachedSignIn {
  version: 1;
  settings: SignInSettings;
  method: SignInMethod;
  /** The service this sign-in is for (where its settings came from). */
  serviceUrl: string;
  signedInDateTime: string;
  accessToken: string;
  /** ISO time the access token expires. */
  expiresDateTime: string;
  refreshToken?: string;
  idToken?: string;
}

/** No usable sign-in: the user has to run `pinreset-agent login` (again). */
export class NotSignedInError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NotSignedInError';
  }
}

/** Refresh this long before the access token expires, so a request never carries one about to lapse. */
const REFRESH_MARGIN_MS = 2 * 60_000;

export function tokenCachePath(statePath: string): string {
  return path.join(path.dirname(statePath), 'tokens.json');
}

export interface SessionIo {
  /** Instructions for the user (stderr: stdout stays the command's output, JSON included). */
  tell(text: string): void;
  env: NodeJS.ProcessEnv;
}

/**
 * The signed-in user of the agent: reads and writes the token cache (0600), refreshes the access token
 * silently (keeping the rotated refresh token), and signs in again, interactively, when the service
 * asks for a step-up with a claims challenge.
 */
export class SignInSession {
  private cached: CachedSignIn | undefined | null = null;

  constructor(
    readonly file: string,
    private readonly io: SessionIo,
  ) {}

  async load(): Promise<CachedSignIn | undefined> {
    if (this.cached !== null) return this.cached;
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        this.cached = undefined;
        return undefined;
      }
      throw new NotSignedInError(`Cannot read the token cache ${this.file}: ${(error as Error).message}`);
    }
    const mode = (await stat(this.file)).mode & 0o777;
    if (process.platform !== 'win32' && (mode & 0o077) !== 0) await chmod(this.file, STATE_FILE_MODE);
    try {
      const parsed = JSON.parse(text) as CachedSignIn;
      this.cached = parsed.version === 1 && typeof parsed.accessToken === 'string' && parsed.settings ? parsed : undefined;
    } catch {
      this.cached = undefined;
    }
    return this.cached;
  }

  private async save(entry: CachedSignIn): Promise<void> {
    await writePrivateJson(this.file, entry);
    this.cached = entry;
  }

  /** Interactive sign-in; replaces whatever the cache held. */
  async login(input: { settings: SignInSettings; method: SignInMethod; serviceUrl: string; claims?: string | undefined }): Promise<CachedSignIn> {
    const tokens =
      input.method === 'browser'
        ? await signInWithBrowser(input.settings, { claims: input.claims, open: (url) => this.openBrowser(url) })
        : await signInWithDeviceCode(input.settings, (prompt) => this.showDeviceCode(prompt), { claims: input.claims });
    const entry = entryOf(input.settings, input.method, input.serviceUrl, tokens);
    await this.save(entry);
    return entry;
  }

  /** A current access token: the cached one, refreshed first when it is (about to be) expired. */
  async accessToken(): Promise<string> {
    const entry = await this.load();
    if (!entry) throw new NotSignedInError('You are not signed in. Run: pinreset-agent login');
    if (Date.parse(entry.expiresDateTime) - Date.now() > REFRESH_MARGIN_MS) return entry.accessToken;
    return (await this.refresh(entry)).accessToken;
  }

  async refresh(entry: CachedSignIn): Promise<CachedSignIn> {
    if (!entry.refreshToken) throw new NotSignedInError('Your sign-in has expired. Sign in again: pinreset-agent login');
    let tokens: TokenSet;
    try {
      tokens = await refreshSignIn(entry.settings, entry.refreshToken);
    } catch (error) {
      if (error instanceof SignInError && error.error !== undefined) {
        throw new NotSignedInError(`Your sign-in has expired or was revoked (${error.error}). Sign in again: pinreset-agent login`, { cause: error });
      }
      throw error;
    }
    const refreshed = { ...entryOf(entry.settings, entry.method, entry.serviceUrl, tokens), signedInDateTime: entry.signedInDateTime };
    refreshed.idToken ??= entry.idToken;
    await this.save(refreshed);
    return refreshed;
  }

  /**
   * The service said `401 MfaRequired`: sign in again the same way, sending its claims challenge (which
   * makes the authority run MFA), so the caller can retry once.
   */
  async stepUp(error: MfaRequiredError): Promise<void> {
    const entry = await this.load();
    if (!entry) throw error;
    this.io.tell('The service requires a recent multi-factor sign-in for this. Signing in again with its claims challenge...');
    await this.login({ settings: entry.settings, method: entry.method, serviceUrl: entry.serviceUrl, claims: error.claims });
  }

  /** Removes the token cache. True when there was one. */
  async logout(): Promise<boolean> {
    this.cached = undefined;
    try {
      await unlink(this.file);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
  }

  private showDeviceCode(prompt: DeviceCodePrompt): void {
    // The same sentence Entra ID puts in its `message`, so it reads as users know it.
    this.io.tell(`To sign in, use a web browser to open the page ${prompt.verificationUri} and enter the code ${prompt.userCode} to authenticate.`);
  }

  private openBrowser(url: string): void {
    const opened = openSystemBrowser(url, this.io.env);
    this.io.tell(opened ? `Opened your browser to sign in. If it did not open, go to:\n  ${url}` : `Open this URL in a browser to sign in:\n  ${url}`);
  }
}

function entryOf(settings: SignInSettings, method: SignInMethod, serviceUrl: string, tokens: TokenSet): CachedSignIn {
  return {
    version: 1,
    settings,
    method,
    serviceUrl,
    signedInDateTime: new Date().toISOString(),
    accessToken: tokens.accessToken,
    expiresDateTime: new Date(tokenExpiry(tokens)).toISOString(),
    ...(tokens.refreshToken ? { refreshToken: tokens.refreshToken } : {}),
    ...(tokens.idToken ? { idToken: tokens.idToken } : {}),
  };
}

/** The access token's own `exp` when readable (the authority's expires_in otherwise). */
function tokenExpiry(tokens: TokenSet): number {
  try {
    const { exp } = decodeJwt(tokens.accessToken);
    if (typeof exp === 'number') return exp * 1000;
  } catch {
    // Entra may issue tokens the client cannot read; expires_in then decides.
  }
  return tokens.expiresAt;
}

/**
 * Opens the system browser when there is one (macOS, Windows, or a Linux desktop session); false
 * when there is none to open, so the caller prints the URL instead. `BROWSER=none` never opens one.
 */
function openSystemBrowser(url: string, env: NodeJS.ProcessEnv): boolean {
  if (env.BROWSER === 'none') return false;
  let command: [string, string[]] | undefined;
  if (process.platform === 'darwin') command = ['open', [url]];
  else if (process.platform === 'win32') command = ['rundll32', ['url.dll,FileProtocolHandler', url]];
  else if (env.DISPLAY || env.WAYLAND_DISPLAY) command = [env.BROWSER || 'xdg-open', [url]];
  if (!command) return false;
  try {
    const child = spawn(command[0], command[1], { stdio: 'ignore', detached: true });
    child.on('error', () => {});
    child.unref();
    return true;
  } catch {
    return false;
  }
}
