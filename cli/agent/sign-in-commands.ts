import { decodeJwt, type JWTPayload } from 'jose';
import { CLOUD_HOSTS, ROLE_TEMPLATE_IDS, type Cloud } from '../../shared/config.js';
import { GraphApiError, ServiceUnreachableError } from '../client/errors.js';
import type { SignInConfiguration, SignInSettings } from '../client/sign-in.js';
import { choiceOption, stringOption, UsageError } from './args.js';
import type { CommandDef } from './command.js';
import type { CommandContext } from './context.js';
import { EXIT } from './exit-codes.js';
import { NotSignedInError, type CachedSignIn } from './sign-in-session.js';

const CLOUDS = Object.keys(CLOUD_HOSTS) as Cloud[];
const ROLE_NAMES = new Map<string, string>(
  Object.entries(ROLE_TEMPLATE_IDS).map(([name, id]) => [id, name.replace(/^./, (c) => c.toUpperCase()).replace(/([a-z])([A-Z])/g, '$1 $2')]),
);

/**
 * Where to sign in: flags, then environment, then the service's `GET /signin-configuration`
 * (fetched only when something is still missing, so a real deployment can be fully explicit).
 */
async function signInSettings(context: CommandContext): Promise<SignInSettings> {
  const { values, io } = context;
  const cloud = choiceOption(values, 'cloud', CLOUDS) ?? (io.env.PINRESET_CLOUD ? cloudFromEnv(io.env.PINRESET_CLOUD) : undefined);
  const scopeFlags = Array.isArray(values.scope) ? values.scope.map(String) : [];
  const given = {
    authority: stringOption(values, 'authority') || io.env.PINRESET_AUTHORITY || (cloud ? `https://${CLOUD_HOSTS[cloud].authorityHost}` : undefined),
    clientId: stringOption(values, 'client-id') || io.env.PINRESET_CLIENT_ID,
    scopes: scopeFlags.length ? scopeFlags : io.env.PINRESET_SCOPE?.split(/\s+/).filter(Boolean),
    tenant: stringOption(values, 'tenant') || io.env.PINRESET_TENANT,
  };
  let served: SignInConfiguration | undefined;
  if (!given.authority || !given.clientId || !given.scopes?.length) served = await servedConfiguration(context);
  const settings: SignInSettings = {
    authority: (given.authority ?? served?.authority ?? '').replace(/\/+$/, ''),
    tenant: given.tenant ?? served?.tenant ?? 'organizations',
    clientId: given.clientId ?? served?.clientId ?? '',
    scopes: given.scopes?.length ? given.scopes : (served?.scopes ?? []),
  };
  if (!/^https?:\/\//.test(settings.authority)) throw new UsageError(`The authority '${settings.authority}' is not an http(s) URL.`);
  return settings;
}

function cloudFromEnv(value: string): Cloud {
  if (!(CLOUDS as string[]).includes(value)) throw new UsageError(`PINRESET_CLOUD must be one of ${CLOUDS.join(', ')} (got '${value}').`);
  return value as Cloud;
}

async function servedConfiguration(context: CommandContext): Promise<SignInConfiguration> {
  const url = context.serviceUrl(await context.tryLoadState());
  const hint =
    'or give the sign-in settings yourself: --authority (or --cloud), --client-id and --scope (env PINRESET_AUTHORITY, PINRESET_CLIENT_ID, PINRESET_SCOPE).';
  try {
    const configuration = await context.client(await context.tryLoadState()).signInConfiguration();
    if (!configuration?.authority || !configuration.clientId || !Array.isArray(configuration.scopes))
      throw new Error('the answer is not a sign-in configuration');
    return configuration;
  } catch (error) {
    if (error instanceof ServiceUnreachableError)
      throw new NotSignedInError(`${error.message}\nIs the service running? Check PINRESET_URL (or --url), ${hint}`);
    const reason = error instanceof GraphApiError ? `${error.status} ${error.code}` : (error as Error).message;
    throw new NotSignedInError(`Could not read where to sign in from ${url}/signin-configuration (${reason}). Check PINRESET_URL (or --url), ${hint}`);
  }
}

function claimsOf(token: string | undefined): JWTPayload {
  if (!token) return {};
  try {
    return decodeJwt(token);
  } catch {
    return {};
  }
}

const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
const list = (value: unknown) => (Array.isArray(value) ? value.map(String) : []);

/** Who the tokens name (never the tokens themselves). */
function accountOf(accessToken: string, idToken?: string) {
  const access = claimsOf(accessToken);
  const id = claimsOf(idToken);
  const epoch = (value: unknown) => (typeof value === 'number' ? new Date(value * 1000).toISOString() : null);
  return {
    name: text(id.name) ?? text(access.name) ?? null,
    userPrincipalName: text(id.preferred_username) ?? text(access.preferred_username) ?? text(access.upn) ?? null,
    objectId: text(access.oid) ?? text(id.oid) ?? null,
    tenantId: text(access.tid) ?? text(id.tid) ?? null,
    directoryRoles: list(access.wids).map((wid) => ROLE_NAMES.get(wid) ?? wid),
    appRoles: list(access.roles),
    authenticationMethods: list(access.amr),
    authenticatedDateTime: epoch(access.auth_time),
    expiresDateTime: epoch(access.exp),
  };
}

function describeSignIn(entry: CachedSignIn) {
  return {
    method: entry.method,
    authority: entry.settings.authority,
    tenant: entry.settings.tenant,
    clientId: entry.settings.clientId,
    scopes: entry.settings.scopes,
    serviceUrl: entry.serviceUrl,
    signedInDateTime: entry.signedInDateTime,
  };
}

function sayAccount(context: CommandContext, account: ReturnType<typeof accountOf>): void {
  context.say(`  User          : ${account.userPrincipalName ?? '-'}${account.name ? ` (${account.name})` : ''}`);
  context.say(`  Object id     : ${account.objectId ?? '-'}`);
  context.say(`  Tenant        : ${account.tenantId ?? '-'}`);
  context.say(`  Roles         : ${[...account.directoryRoles, ...account.appRoles].join(', ') || '(none: not an admin of the service)'}`);
  context.say(
    `  Signed in with: ${account.authenticationMethods.join(', ') || '-'}${account.authenticatedDateTime ? ` at ${account.authenticatedDateTime}` : ''}`,
  );
  context.say(`  Token expires : ${account.expiresDateTime ?? '-'} (refreshed silently)`);
}

const login: CommandDef = {
  path: ['login'],
  maxPositionals: 0,
  summary: 'Sign in (device code flow; --browser: authorization code + PKCE in the system browser).',
  description: [
    'Signs in to the authority the service names at GET /signin-configuration (Entra ID, or the development',
    "authority of a local host), as the PIN reset client app, for the service's delegated scope. Device code:",
    'open the page shown and enter the code, on any device. --browser: a loopback redirect to 127.0.0.1 on a',
    'random port, as the Azure CLI does. Tokens are cached next to the state file (tokens.json, mode 600), never',
    "printed, refreshed silently; a 401 MfaRequired makes the agent sign in again with the service's claims",
    'challenge and retry once. Flags and environment override the served settings for a real deployment.',
  ].join('\n'),
  options: {
    browser: { type: 'boolean', description: 'Authorization code + PKCE with a loopback redirect, in the system browser (prints the URL when there is none).' },
    tenant: {
      type: 'string',
      valueName: '<tenant>',
      description: 'Tenant id or domain to sign in to (env PINRESET_TENANT; default: the served one, usually organizations).',
    },
    cloud: { type: 'string', valueName: '<cloud>', description: `Entra ID cloud: ${CLOUDS.join(' | ')} (env PINRESET_CLOUD): its authority host.` },
    authority: { type: 'string', valueName: '<url>', description: 'Authority URL, e.g. https://login.microsoftonline.com (env PINRESET_AUTHORITY).' },
    'client-id': { type: 'string', valueName: '<id>', description: "The PIN reset client app's application id (env PINRESET_CLIENT_ID)." },
    scope: {
      type: 'string',
      multiple: true,
      valueName: '<scope>',
      description: "The service app's delegated scope, <appIdUri>/user_impersonation (env PINRESET_SCOPE).",
    },
  },
  examples: [
    'pinreset-agent login',
    'pinreset-agent login --browser',
    'pinreset-agent login --cloud public --client-id <client app id> --scope api://<service app id>/user_impersonation',
  ],
  async run(context) {
    const settings = await signInSettings(context);
    const method = context.values.browser === true ? 'browser' : 'deviceCode';
    const entry = await context.session.login({ settings, method, serviceUrl: context.serviceUrl(await context.tryLoadState()) });
    const account = accountOf(entry.accessToken, entry.idToken);
    context.emit({ signedIn: true, account, ...describeSignIn(entry), tokenCache: context.session.file });
    context.say(`Signed in as ${account.userPrincipalName ?? account.objectId} in tenant ${account.tenantId}.`);
    sayAccount(context, account);
    context.say(`Tokens cached in ${context.session.file} (mode 600). Sign out with: pinreset-agent logout`);
    return EXIT.ok;
  },
};

const whoami: CommandDef = {
  path: ['whoami'],
  maxPositionals: 0,
  summary: 'Show who is signed in (user, tenant, roles, MFA), never the tokens.',
  options: {},
  async run(context) {
    const token = await context.userToken();
    const entry = token.source === 'signIn' ? await context.session.load() : undefined;
    const accessToken = (await token.credential()).replace(/^Bearer /, '');
    const account = accountOf(accessToken, entry?.idToken);
    context.emit({ signedIn: true, source: token.source, account, ...(entry ? { ...describeSignIn(entry), tokenCache: context.session.file } : {}) });
    context.say(
      token.source === 'signIn'
        ? `Signed in (${entry?.method === 'browser' ? 'browser' : 'device code'}) to ${entry?.settings.authority}/${entry?.settings.tenant} as client ${entry?.settings.clientId}:`
        : `Using the token from ${token.source === 'option' ? '--token' : 'the environment'}:`,
    );
    sayAccount(context, account);
    if (entry) context.say(`  Token cache   : ${context.session.file}`);
    return EXIT.ok;
  },
};

const logout: CommandDef = {
  path: ['logout'],
  maxPositionals: 0,
  summary: 'Sign out: delete the cached tokens of this state directory.',
  options: {},
  async run(context) {
    const removed = await context.session.logout();
    context.emit({ signedIn: false, removed, tokenCache: context.session.file });
    context.say(removed ? `Signed out: removed ${context.session.file}.` : `Not signed in (no token cache at ${context.session.file}).`);
    return EXIT.ok;
  },
};

export const SIGN_IN_COMMANDS: readonly CommandDef[] = [login, whoami, logout];
