import type { SimulationSettings } from './simulation.js';

/**
 * The two app registrations the development authority knows, with Entra's redirect URI rules:
 * an exact match with a registered URI, plus, for the public client app, the loopback rule of
 * native apps (`http://localhost` or `http://127.0.0.1`, any port, any path). Nothing else: the
 * authority must never become an open redirector.
 */
export interface RegisteredClient {
  clientId: string;
  displayName: string;
  /** A confidential client authenticates at the token endpoint (secret or client assertion). */
  confidential: boolean;
  redirectUris: readonly string[];
  loopbackRedirects: boolean;
}

export function registeredClients(settings: SimulationSettings): RegisteredClient[] {
  return [
    {
      clientId: settings.serviceAppId,
      displayName: 'PIN Reset Service (development)',
      confidential: true,
      redirectUris: [`${settings.publicBaseUrl}/onboarding/signin`],
      loopbackRedirects: false,
    },
    {
      clientId: settings.clientAppId,
      displayName: 'PIN Reset Client (development)',
      confidential: false,
      redirectUris: [`${settings.publicBaseUrl}/portal/`],
      loopbackRedirects: true,
    },
  ];
}

export function clientById(settings: SimulationSettings, clientId: string | null | undefined): RegisteredClient | undefined {
  const wanted = (clientId ?? '').toLowerCase();
  return registeredClients(settings).find((client) => client.clientId === wanted);
}

const LOOPBACK = new Set(['localhost', '127.0.0.1']);

export function isAllowedRedirect(client: RegisteredClient, redirectUri: string | null | undefined): boolean {
  if (!redirectUri) return false;
  if (client.redirectUris.includes(redirectUri)) return true;
  if (!client.loopbackRedirects) return false;
  let url: URL;
  try {
    url = new URL(redirectUri);
  } catch {
    return false;
  }
  return url.protocol === 'http:' && LOOPBACK.has(url.hostname) && !url.username && !url.password && !url.hash && !redirectUri.includes('#');
}
