/**
 * Service configuration: every setting the app reads, in one catalogue.
 *
 * `SETTINGS` is the single list of setting names. The README's settings table, the Bicep template
 * test (infra must set every setting marked `requiredInAzure`) and `loadConfig` all read it, so
 * they cannot drift apart. `loadConfig` is pure (takes an env object) so tests can build any
 * configuration; `getConfig` reads `process.env` once per process.
 */

import type { Cloud } from './domain/tenant-settings.js';

export type { Cloud };

export const CLOUD_HOSTS: Record<Cloud, { authorityHost: string; graphHost: string }> = {
  public: { authorityHost: 'login.microsoftonline.com', graphHost: 'graph.microsoft.com' },
  usGovernment: { authorityHost: 'login.microsoftonline.us', graphHost: 'graph.microsoft.us' },
  china: { authorityHost: 'login.chinacloudapi.cn', graphHost: 'microsoftgraph.chinacloudapi.cn' },
};

export const ROLE_TEMPLATE_IDS = {
  globalAdministrator: '62e90394-69f5-4237-9190-012177145e10',
  applicationAdministrator: '9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3',
  cloudApplicationAdministrator: '158c047a-c907-4556-b7ef-446551a6b5f7',
  intuneAdministrator: '3a2c62db-5318-420d-8d74-23affee5d9d5',
  helpdeskAdministrator: '729827e3-9c14-49f7-bb1b-9608f156bbb8',
} as const;

/** Entra's display names of the role templates above (what an admin sees in the Entra admin center). */
export const ROLE_DISPLAY_NAMES: Readonly<Record<string, string>> = {
  [ROLE_TEMPLATE_IDS.globalAdministrator]: 'Global Administrator',
  [ROLE_TEMPLATE_IDS.applicationAdministrator]: 'Application Administrator',
  [ROLE_TEMPLATE_IDS.cloudApplicationAdministrator]: 'Cloud Application Administrator',
  [ROLE_TEMPLATE_IDS.intuneAdministrator]: 'Intune Administrator',
  [ROLE_TEMPLATE_IDS.helpdeskAdministrator]: 'Helpdesk Administrator',
};

const DEFAULT_ADMIN_ROLE_IDS = [
  ROLE_TEMPLATE_IDS.globalAdministrator,
  ROLE_TEMPLATE_IDS.applicationAdministrator,
  ROLE_TEMPLATE_IDS.cloudApplicationAdministrator,
  ROLE_TEMPLATE_IDS.intuneAdministrator,
];

/** Development-mode app registrations: stable fake ids so local runs and tests agree. */
export const DEV_APP_IDS = {
  serviceAppId: '5f0b4c2a-7a1e-4c43-9d36-000000000001',
  clientAppId: '5f0b4c2a-7a1e-4c43-9d36-000000000002',
} as const;

export interface SettingDefinition {
  name: string;
  description: string;
  /** The deployed app cannot start without it (infra must set it). */
  requiredInAzure: boolean;
  /** Shown in the README; `undefined` means no default. */
  defaultValue?: string;
}

export const SETTINGS = [
  {
    name: 'PINRESET_DEV_MODE',
    requiredInAzure: false,
    defaultValue: 'false',
    description: 'Development mode: simulated Entra ID and Graph, /dev routes. Refused when running in Azure.',
  },
  {
    name: 'PINRESET_PUBLIC_BASE_URL',
    requiredInAzure: true,
    description:
      'Public base URL of the service (used in @odata.context, redirect URIs, device assertion audience). Defaults to http://localhost:$PORT locally.',
  },
  {
    name: 'PINRESET_CLOUD',
    requiredInAzure: true,
    defaultValue: 'public',
    description: 'Entra/Graph cloud: public, usGovernment or china. Selects the authority and Graph hosts.',
  },
  {
    name: 'PINRESET_AUTHORITY_HOST',
    requiredInAzure: false,
    description:
      'Override of the Entra authority: a host with an optional path, or an https URL (default from PINRESET_CLOUD; in development mode <public base URL>/dev/login, the simulated authority).',
  },
  { name: 'PINRESET_GRAPH_HOST', requiredInAzure: false, description: 'Override of the Microsoft Graph host (default from PINRESET_CLOUD).' },
  { name: 'PINRESET_SERVICE_APP_ID', requiredInAzure: true, description: 'Client id of the PIN reset service app registration (the API audience).' },
  {
    name: 'PINRESET_SERVICE_APP_ID_URI',
    requiredInAzure: true,
    description: 'App ID URI of the service app (also accepted as audience), e.g. api://pinreset.contoso.com.',
  },
  { name: 'PINRESET_CLIENT_APP_ID', requiredInAzure: true, description: 'Client id of the PIN reset client app registration (what devices sign in with).' },
  {
    name: 'PINRESET_ADMIN_ROLE_IDS',
    requiredInAzure: true,
    defaultValue: DEFAULT_ADMIN_ROLE_IDS.join(','),
    description: 'Comma-separated directory role template ids (wids) treated as PIN reset administrators.',
  },
  {
    name: 'PINRESET_PASSCODE_RESET_ROLE_IDS',
    requiredInAzure: true,
    defaultValue: [...DEFAULT_ADMIN_ROLE_IDS, ROLE_TEMPLATE_IDS.helpdeskAdministrator].join(','),
    description: 'Comma-separated role template ids allowed to reset device passcodes and read devices.',
  },
  {
    name: 'PINRESET_MFA_MAX_AGE_SECONDS',
    requiredInAzure: false,
    defaultValue: '600',
    description: 'How long ago (auth_time, else iat) the MFA may have happened for a decrypt.',
  },
  { name: 'PINRESET_MFA_AUTH_CONTEXT_ID', requiredInAzure: false, description: 'Conditional Access auth-context id (acrs) that also counts as MFA, e.g. c1.' },
  { name: 'TABLES_CONNECTION_STRING', requiredInAzure: false, description: 'Table storage connection string (local development and tests: Azurite).' },
  {
    name: 'TABLES_ENDPOINT',
    requiredInAzure: true,
    description: 'Table service endpoint used with the managed identity in Azure, e.g. https://<account>.table.core.windows.net.',
  },
  {
    name: 'AZURE_CLIENT_ID',
    requiredInAzure: true,
    description: 'Client id of the user-assigned managed identity (storage, Key Vault, Graph federated credential).',
  },
  { name: 'PORT', requiredInAzure: false, defaultValue: '7071', description: 'Port of the local host (npm start).' },
  {
    name: 'PINRESET_KEY_VAULT_KEY_ID',
    requiredInAzure: true,
    description:
      'Key Vault key (versionless id, e.g. https://<vault>.vault.azure.net/keys/<name>) that wraps every tenant protector key (RSA-OAEP-256, managed identity). When unset, PINRESET_LOCAL_KEK is used.',
  },
  {
    name: 'PINRESET_LOCAL_KEK',
    requiredInAzure: false,
    description:
      'Local key-encryption key (base64 of 32 bytes, AES-256-GCM) for self-hosting without Key Vault. Refused in Azure. In development mode without it, a fixed dev-only KEK is used.',
  },
  {
    name: 'PINRESET_KEY_CACHE_SIZE',
    requiredInAzure: false,
    defaultValue: '1000',
    description: 'How many unwrapped tenant private keys one process keeps in memory (LRU).',
  },
  {
    name: 'PINRESET_KEY_CACHE_TTL_SECONDS',
    requiredInAzure: false,
    defaultValue: '600',
    description: 'How long an unwrapped tenant private key stays in memory before it is unwrapped again.',
  },
  {
    name: 'PINRESET_KEY_STATE_CACHE_SECONDS',
    requiredInAzure: false,
    defaultValue: '5',
    description:
      "How long one instance reuses a tenant's active state, current-key pointer and key rows for decrypts (0 = read storage every time). Another instance's retire or offboarding reaches this one within this bound; its own take effect at once.",
  },
  {
    name: 'PINRESET_KEY_ROTATION_MIN_INTERVAL_SECONDS',
    requiredInAzure: false,
    defaultValue: '60',
    description:
      "Minimum time between two rotations of a tenant's protector key on request; a sooner rotation answers 429 with Retry-After (0 = no minimum). The scheduled rotation is not affected.",
  },
  {
    name: 'PINRESET_DECRYPT_LIMIT_PER_USER',
    requiredInAzure: false,
    defaultValue: '10',
    description: 'Decrypt attempts one user may make per rate-limit window, across all instances (0 = no limit).',
  },
  {
    name: 'PINRESET_DECRYPT_LIMIT_PER_TENANT',
    requiredInAzure: false,
    defaultValue: '1000',
    description: 'Decrypt attempts one tenant may make per rate-limit window, across all instances (0 = no limit).',
  },
  {
    name: 'PINRESET_DECRYPT_LIMIT_WINDOW_SECONDS',
    requiredInAzure: false,
    defaultValue: '3600',
    description: 'Length of the fixed decrypt rate-limit window.',
  },
] as const satisfies readonly SettingDefinition[];

export type SettingName = (typeof SETTINGS)[number]['name'];

export interface ServiceConfig {
  devMode: boolean;
  runningInAzure: boolean;
  publicBaseUrl: string;
  cloud: Cloud;
  /** Host (and port) of the authority URL, e.g. login.microsoftonline.com. */
  authorityHost: string;
  /**
   * The Entra authority: scheme, host and optional path, no trailing slash. v2 issuer of tenant t =
   * `${authorityUrl}/${t}/v2.0`. Real clouds: https://login.microsoftonline.com (etc.); development
   * mode: `${publicBaseUrl}/dev/login`, the simulated authority (plain http only there, on loopback).
   */
  authorityUrl: string;
  graphHost: string;
  serviceAppId: string;
  serviceAppIdUri: string;
  clientAppId: string;
  adminRoleIds: readonly string[];
  passcodeResetRoleIds: readonly string[];
  mfaMaxAgeSeconds: number;
  mfaAuthContextId: string | undefined;
  storage: { kind: 'connectionString'; connectionString: string } | { kind: 'managedIdentity'; endpoint: string; clientId: string | undefined };
  port: number;
  /** AZURE_CLIENT_ID: the user-assigned managed identity (Graph federated credential in Azure). */
  managedIdentityClientId: string | undefined;
  keyCustody: { kind: 'keyVault'; keyId: string; clientId: string | undefined } | { kind: 'local'; kek: Buffer; devOnly: boolean };
  keyCache: { maxEntries: number; ttlSeconds: number; stateTtlSeconds: number };
  decryptLimits: { perUser: number; perTenant: number; windowSeconds: number };
  /** Seconds an admin must wait after a tenant's key became current before rotating it again (0 = off). */
  keyRotationMinIntervalSeconds: number;
}

export class ConfigurationError extends Error {
  constructor(
    readonly setting: string,
    detail: string,
  ) {
    super(`Configuration setting ${setting}: ${detail}`);
    this.name = 'ConfigurationError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

/** The Functions host in Azure always sets these; locally (func start or our host) they are absent. */
/** App Service / Functions, Container Apps, or anything with a managed identity endpoint. */
export function isRunningInAzure(env: Env): boolean {
  return Boolean(env.WEBSITE_INSTANCE_ID || env.WEBSITE_SITE_NAME || env.CONTAINER_APP_NAME || env.IDENTITY_ENDPOINT);
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

function text(env: Env, name: SettingName): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

function required(env: Env, name: SettingName): string {
  const value = text(env, name);
  if (value === undefined) throw new ConfigurationError(name, 'is required');
  return value;
}

function bool(env: Env, name: SettingName): boolean {
  const value = text(env, name)?.toLowerCase();
  if (value === undefined) return false;
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw new ConfigurationError(name, `expected true or false, got "${value}"`);
}

function positiveInt(env: Env, name: SettingName, fallback: number): number {
  const value = text(env, name);
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) <= 0) throw new ConfigurationError(name, `expected a positive integer, got "${value}"`);
  return Number(value);
}

function nonNegativeInt(env: Env, name: SettingName, fallback: number): number {
  const value = text(env, name);
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) throw new ConfigurationError(name, `expected 0 or a positive integer, got "${value}"`);
  return Number(value);
}

/**
 * The fixed KEK of development mode (no PINRESET_LOCAL_KEK): NOT A SECRET, the same on every machine,
 * so keys kept in .azurite/ by `npm start` stay readable across restarts. Refused outside dev mode.
 */
export const DEV_ONLY_KEK = Buffer.from('pinreset-dev-mode-kek-not-secret'.padEnd(32, '!').slice(0, 32), 'utf8');

function keyCustodyOf(env: Env, devMode: boolean, runningInAzure: boolean, clientId: string | undefined): ServiceConfig['keyCustody'] {
  const keyId = text(env, 'PINRESET_KEY_VAULT_KEY_ID');
  if (keyId) {
    if (!/^https:\/\/[a-z0-9-]+\.vault\.[a-z0-9.-]+\/keys\/[A-Za-z0-9-]+(\/[A-Za-z0-9]+)?\/?$/i.test(keyId)) {
      throw new ConfigurationError('PINRESET_KEY_VAULT_KEY_ID', 'expected https://<vault>.vault.azure.net/keys/<name>[/<version>]');
    }
    return { kind: 'keyVault', keyId: keyId.replace(/\/+$/, ''), clientId };
  }
  const local = text(env, 'PINRESET_LOCAL_KEK');
  if (local) {
    if (runningInAzure) throw new ConfigurationError('PINRESET_LOCAL_KEK', 'is refused in Azure: set PINRESET_KEY_VAULT_KEY_ID');
    const kek = Buffer.from(local, 'base64');
    if (kek.length !== 32 || kek.toString('base64') !== local.replace(/\s/g, '')) {
      throw new ConfigurationError('PINRESET_LOCAL_KEK', 'expected the base64 of exactly 32 random bytes');
    }
    return { kind: 'local', kek, devOnly: false };
  }
  if (devMode) return { kind: 'local', kek: DEV_ONLY_KEK, devOnly: true };
  throw new ConfigurationError('PINRESET_KEY_VAULT_KEY_ID', 'is required (or PINRESET_LOCAL_KEK when self-hosting outside Azure)');
}

function list(env: Env, name: SettingName, fallback: readonly string[]): readonly string[] {
  const value = text(env, name);
  if (value === undefined) return fallback;
  return value
    .split(',')
    .map((item) => item.trim().toLowerCase())
    .filter(Boolean);
}

function defaultOf(name: SettingName): string {
  const definition: SettingDefinition | undefined = SETTINGS.find((setting) => setting.name === name);
  if (definition?.defaultValue === undefined) throw new Error(`setting ${name} has no default`);
  return definition.defaultValue;
}

function cloudOf(env: Env): Cloud {
  const value = text(env, 'PINRESET_CLOUD') ?? 'public';
  if (value !== 'public' && value !== 'usGovernment' && value !== 'china') {
    throw new ConfigurationError('PINRESET_CLOUD', `expected public, usGovernment or china, got "${value}"`);
  }
  return value;
}

/**
 * PINRESET_AUTHORITY_HOST: `host[:port][/path]` or an absolute URL. Plain http is accepted only in
 * development mode and only on loopback (the simulated authority); everything else is https.
 */
function authorityUrlOf(env: Env, devMode: boolean, cloud: Cloud, publicBaseUrl: string): string {
  const value = text(env, 'PINRESET_AUTHORITY_HOST');
  if (value === undefined) return devMode ? `${publicBaseUrl}/dev/login` : `https://${CLOUD_HOSTS[cloud].authorityHost}`;
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(value)
    ? value
    : `${devMode && LOOPBACK_HOSTS.has(value.split(/[:/]/)[0]?.toLowerCase() ?? '') ? 'http' : 'https'}://${value}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new ConfigurationError('PINRESET_AUTHORITY_HOST', `expected a host name or an https URL, got "${value}"`);
  }
  if (url.search || url.hash || url.username || url.password || !/^[a-z0-9.-]+$/i.test(url.hostname.replace(/^\[|\]$/g, ''))) {
    throw new ConfigurationError('PINRESET_AUTHORITY_HOST', `expected a host name with an optional path, got "${value}"`);
  }
  if (url.protocol === 'http:' && !(devMode && LOOPBACK_HOSTS.has(url.hostname))) {
    throw new ConfigurationError('PINRESET_AUTHORITY_HOST', 'plain http is accepted only in development mode, on loopback (the simulated authority)');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ConfigurationError('PINRESET_AUTHORITY_HOST', `expected an https URL, got "${value}"`);
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '').toLowerCase();
}

function hostName(env: Env, name: SettingName, fallback: string): string {
  const value = text(env, name) ?? fallback;
  if (!/^[a-z0-9.-]+(:\d+)?$/i.test(value)) throw new ConfigurationError(name, `expected a host name, got "${value}"`);
  return value.toLowerCase();
}

export function loadConfig(env: Env): ServiceConfig {
  const devMode = bool(env, 'PINRESET_DEV_MODE');
  const runningInAzure = isRunningInAzure(env);
  if (devMode && runningInAzure) {
    throw new ConfigurationError('PINRESET_DEV_MODE', 'development mode is refused when the app runs in Azure');
  }
  const port = positiveInt(env, 'PORT', 7071);
  const cloud = cloudOf(env);
  const publicBaseUrl = (
    text(env, 'PINRESET_PUBLIC_BASE_URL') ?? (runningInAzure && env.WEBSITE_HOSTNAME ? `https://${env.WEBSITE_HOSTNAME}` : `http://localhost:${port}`)
  ).replace(/\/+$/, '');
  if (!/^https?:\/\/[^/?#]+$/.test(publicBaseUrl)) {
    throw new ConfigurationError('PINRESET_PUBLIC_BASE_URL', 'expected an absolute http(s) origin without path');
  }
  // Development mode mints admin tokens for anyone who asks: it is for this machine only.
  if (devMode && !LOOPBACK_HOSTS.has(new URL(publicBaseUrl).hostname)) {
    throw new ConfigurationError('PINRESET_DEV_MODE', `development mode serves loopback only; PINRESET_PUBLIC_BASE_URL ${publicBaseUrl} is not localhost`);
  }

  const serviceAppId = devMode ? (text(env, 'PINRESET_SERVICE_APP_ID') ?? DEV_APP_IDS.serviceAppId) : required(env, 'PINRESET_SERVICE_APP_ID');
  const clientAppId = devMode ? (text(env, 'PINRESET_CLIENT_APP_ID') ?? DEV_APP_IDS.clientAppId) : required(env, 'PINRESET_CLIENT_APP_ID');
  const serviceAppIdUri = text(env, 'PINRESET_SERVICE_APP_ID_URI') ?? (devMode ? `api://${serviceAppId}` : required(env, 'PINRESET_SERVICE_APP_ID_URI'));

  const connectionString = text(env, 'TABLES_CONNECTION_STRING');
  const endpoint = text(env, 'TABLES_ENDPOINT');
  let storage: ServiceConfig['storage'];
  if (endpoint) storage = { kind: 'managedIdentity', endpoint, clientId: text(env, 'AZURE_CLIENT_ID') };
  else if (connectionString) storage = { kind: 'connectionString', connectionString };
  else throw new ConfigurationError('TABLES_ENDPOINT', 'set TABLES_ENDPOINT (Azure, managed identity) or TABLES_CONNECTION_STRING (local)');

  const adminRoleIds = list(env, 'PINRESET_ADMIN_ROLE_IDS', defaultOf('PINRESET_ADMIN_ROLE_IDS').split(','));
  const passcodeResetRoleIds = list(env, 'PINRESET_PASSCODE_RESET_ROLE_IDS', defaultOf('PINRESET_PASSCODE_RESET_ROLE_IDS').split(','));

  const authorityUrl = authorityUrlOf(env, devMode, cloud, publicBaseUrl);

  return {
    devMode,
    runningInAzure,
    publicBaseUrl,
    cloud,
    authorityHost: new URL(authorityUrl).host,
    authorityUrl,
    graphHost: hostName(env, 'PINRESET_GRAPH_HOST', CLOUD_HOSTS[cloud].graphHost),
    serviceAppId: serviceAppId.toLowerCase(),
    serviceAppIdUri,
    clientAppId: clientAppId.toLowerCase(),
    adminRoleIds,
    passcodeResetRoleIds,
    mfaMaxAgeSeconds: positiveInt(env, 'PINRESET_MFA_MAX_AGE_SECONDS', 600),
    mfaAuthContextId: text(env, 'PINRESET_MFA_AUTH_CONTEXT_ID'),
    storage,
    port,
    managedIdentityClientId: text(env, 'AZURE_CLIENT_ID'),
    keyCustody: keyCustodyOf(env, devMode, runningInAzure, text(env, 'AZURE_CLIENT_ID')),
    keyCache: {
      maxEntries: positiveInt(env, 'PINRESET_KEY_CACHE_SIZE', 1000),
      ttlSeconds: positiveInt(env, 'PINRESET_KEY_CACHE_TTL_SECONDS', 600),
      stateTtlSeconds: nonNegativeInt(env, 'PINRESET_KEY_STATE_CACHE_SECONDS', 5),
    },
    decryptLimits: {
      perUser: nonNegativeInt(env, 'PINRESET_DECRYPT_LIMIT_PER_USER', 10),
      perTenant: nonNegativeInt(env, 'PINRESET_DECRYPT_LIMIT_PER_TENANT', 1000),
      windowSeconds: positiveInt(env, 'PINRESET_DECRYPT_LIMIT_WINDOW_SECONDS', 3600),
    },
    keyRotationMinIntervalSeconds: nonNegativeInt(env, 'PINRESET_KEY_ROTATION_MIN_INTERVAL_SECONDS', 60),
  };
}

let cached: ServiceConfig | undefined;

/** The process configuration, read from `process.env` on first use. */
export function getConfig(): ServiceConfig {
  cached ??= loadConfig(process.env);
  return cached;
}

/** Tests and the local host call this after changing `process.env`. */
export function resetConfigForTests(): void {
  cached = undefined;
}
