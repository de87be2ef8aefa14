import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { getConfig, type ServiceConfig } from '../config.js';
import { DevAuthority } from './authority.js';
import { DevSigner } from './dev-signer.js';
import { SimulatedDirectory } from './simulated-directory.js';

const guid = z.string().regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, 'must be a GUID');

/** Body of `POST /dev/token`: a user token, plus overrides that let tests make bad tokens. */
export const devTokenRequestSchema = z.strictObject({
  tid: guid,
  oid: guid,
  upn: z.string().max(256).optional(),
  amr: z.array(z.string().max(32)).max(10).optional(),
  wids: z.array(z.string().max(64)).max(50).optional(),
  roles: z.array(z.string().max(128)).max(50).optional(),
  acrs: z.array(z.string().max(32)).max(10).optional(),
  ver: z.enum(['1.0', '2.0']).optional(),
  issuedSecondsAgo: z.number().int().min(0).max(31_536_000).optional(),
  aud: z.string().max(512).optional(),
  iss: z.string().max(512).optional(),
  expiresInSeconds: z.number().int().min(-31_536_000).max(86_400).optional(),
  notBeforeSecondsFromNow: z.number().int().min(-86_400).max(86_400).optional(),
  /** Entra's `deviceid` claim: the azureADDeviceId of the device the token was obtained on. */
  deviceid: guid.optional(),
});

export type DevTokenRequest = z.infer<typeof devTokenRequestSchema>;

import type { TokenResponse } from '../contract/health.js';

/** What the simulation needs to know of the service: read on every use (tests change the base URL). */
export type SimulationSettings = Pick<ServiceConfig, 'authorityUrl' | 'graphHost' | 'publicBaseUrl' | 'serviceAppId' | 'serviceAppIdUri' | 'clientAppId'>;

/**
 * Development mode's stand-in for Entra ID and Microsoft Graph: one signer, one directory, one
 * authority. The local host and the tests share this instance (MSW handlers answer from it), so a
 * token from `/dev/token` or the authority's token endpoint verifies against the JWKS the service
 * fetches.
 */
export class MicrosoftSimulation {
  readonly signer = new DevSigner();
  readonly directory = new SimulatedDirectory();
  readonly authority: DevAuthority;

  constructor(private readonly settingsOf: () => SimulationSettings = getConfig) {
    this.authority = new DevAuthority(this);
  }

  get settings(): SimulationSettings {
    return this.settingsOf();
  }

  /** The authority URL, e.g. http://localhost:7071/dev/login (issuer of tenant t: `${authorityUrl}/${t}/v2.0`). */
  get authorityUrl(): string {
    return this.settings.authorityUrl;
  }

  get graphHost(): string {
    return this.settings.graphHost;
  }

  async issueUserToken(request: DevTokenRequest): Promise<TokenResponse> {
    const now = Math.floor(Date.now() / 1000);
    const version = request.ver ?? '2.0';
    const tenantId = request.tid.toLowerCase();
    const issuedAt = now - (request.issuedSecondsAgo ?? 0);
    const expiresIn = request.expiresInSeconds ?? 3600;
    const upn = request.upn ?? `user-${request.oid.slice(0, 8)}@${this.directory.tenant(tenantId).verifiedDomains[0]?.name ?? 'contoso.com'}`;
    const claims = {
      aud: request.aud ?? (version === '1.0' ? this.settings.serviceAppIdUri : this.settings.serviceAppId),
      iss: request.iss ?? (version === '1.0' ? `https://sts.windows.net/${tenantId}/` : `${this.authorityUrl}/${tenantId}/v2.0`),
      iat: issuedAt,
      nbf: request.notBeforeSecondsFromNow === undefined ? issuedAt : now + request.notBeforeSecondsFromNow,
      exp: now + expiresIn,
      tid: tenantId,
      oid: request.oid.toLowerCase(),
      sub: request.oid.toLowerCase(),
      ver: version,
      amr: request.amr ?? ['pwd'],
      ...(version === '1.0' ? { upn } : { preferred_username: upn }),
      ...(request.wids ? { wids: request.wids } : {}),
      ...(request.roles ? { roles: request.roles } : {}),
      ...(request.acrs ? { acrs: request.acrs } : {}),
      ...(request.deviceid ? { deviceid: request.deviceid.toLowerCase() } : {}),
      scp: 'user_impersonation',
      uti: randomUUID(),
    };
    return { access_token: await this.signer.sign(claims), token_type: 'Bearer', expires_in: expiresIn };
  }

  /** Client-credentials token for Graph, as the authority's token endpoint issues it. */
  async issueAppToken(tenantId: string, clientId: string): Promise<TokenResponse> {
    const now = Math.floor(Date.now() / 1000);
    const token = await this.signer.sign({
      aud: `https://${this.graphHost}`,
      iss: `https://sts.windows.net/${tenantId.toLowerCase()}/`,
      iat: now,
      nbf: now,
      exp: now + 3600,
      tid: tenantId.toLowerCase(),
      appid: clientId,
      idtyp: 'app',
      roles: ['Application.Read.All', 'Organization.Read.All'],
    });
    return { access_token: token, token_type: 'Bearer', expires_in: 3600 };
  }
}

let simulation: MicrosoftSimulation | undefined;

/** The process's simulation; it reads the configuration on every use. */
export function getSimulation(): MicrosoftSimulation {
  simulation ??= new MicrosoftSimulation();
  return simulation;
}
