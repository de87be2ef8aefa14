import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigurationError, loadConfig } from '../../shared/config.js';
import {
  ClientCredentialsTokenProvider,
  ClientSecretCredential,
  DEV_CLIENT_SECRET,
  ManagedIdentityFederatedCredential,
  selectClientCredential,
} from '../../shared/identity/app-token-provider.js';
import { GraphError } from '../../shared/identity/http-retry.js';

const azureEnv = {
  WEBSITE_INSTANCE_ID: 'x',
  TABLES_ENDPOINT: 'https://acct.table.core.windows.net',
  PINRESET_SERVICE_APP_ID: '11111111-1111-1111-1111-111111111111',
  PINRESET_CLIENT_APP_ID: '22222222-2222-2222-2222-222222222222',
  PINRESET_SERVICE_APP_ID_URI: 'api://pinreset.contoso.com',
  PINRESET_PUBLIC_BASE_URL: 'https://pinreset.contoso.com',
  PINRESET_KEY_VAULT_KEY_ID: 'https://kv1.vault.azure.net/keys/kek',
};

describe('selecting how the service app authenticates for Graph', () => {
  it('uses the dev client secret in development mode', () => {
    const credential = selectClientCredential(loadConfig({ PINRESET_DEV_MODE: 'true', TABLES_CONNECTION_STRING: 'UseDevelopmentStorage=true' }));
    expect(credential).toBeInstanceOf(ClientSecretCredential);
    expect(credential.kind).toBe('clientSecret');
  });

  it('uses the managed identity through a federated credential in Azure, with the token-exchange audience of the cloud', () => {
    const publicCloud = selectClientCredential(loadConfig({ ...azureEnv, AZURE_CLIENT_ID: 'mi-client-id' }));
    expect(publicCloud).toBeInstanceOf(ManagedIdentityFederatedCredential);
    expect(publicCloud).toMatchObject({ kind: 'managedIdentityFederated', managedIdentityClientId: 'mi-client-id', audience: 'api://AzureADTokenExchange' });
    const usGov = selectClientCredential(loadConfig({ ...azureEnv, AZURE_CLIENT_ID: 'mi-client-id', PINRESET_CLOUD: 'usGovernment' }));
    expect(usGov).toMatchObject({ audience: 'api://AzureADTokenExchangeUSGov' });
    const china = selectClientCredential(loadConfig({ ...azureEnv, AZURE_CLIENT_ID: 'mi-client-id', PINRESET_CLOUD: 'china' }));
    expect(china).toMatchObject({ audience: 'api://AzureADTokenExchangeChina' });
  });

  it('names AZURE_CLIENT_ID when the managed identity is not configured outside development mode', () => {
    expect(() => selectClientCredential(loadConfig(azureEnv))).toThrow(ConfigurationError);
    expect(() => selectClientCredential(loadConfig(azureEnv))).toThrow(/AZURE_CLIENT_ID/);
  });

  it('sends the managed identity token as a jwt-bearer client assertion, never a secret', async () => {
    const scopes: string[] = [];
    const credential = new ManagedIdentityFederatedCredential('mi', 'api://AzureADTokenExchange', {
      getToken: async (scope) => {
        scopes.push(scope);
        return { token: 'mi-assertion' };
      },
    });
    expect(await credential.formFields()).toEqual({
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: 'mi-assertion',
    });
    expect(scopes).toEqual(['api://AzureADTokenExchange/.default']);
  });
});

describe('ClientCredentialsTokenProvider', () => {
  const requests: URLSearchParams[] = [];
  let status = 200;
  const server = setupServer(
    http.post('https://login.example.test/:tenant/oauth2/v2.0/token', async ({ request, params }) => {
      requests.push(new URLSearchParams(await request.text()));
      if (status !== 200) return HttpResponse.json({ error: 'invalid_client' }, { status });
      return HttpResponse.json({ access_token: `token-for-${String(params.tenant)}`, token_type: 'Bearer', expires_in: 3600 });
    }),
  );
  beforeAll(() => server.listen({ onUnhandledFrame: 'error' }));
  afterAll(() => server.close());

  const provider = (credential = new ClientSecretCredential(DEV_CLIENT_SECRET)) =>
    new ClientCredentialsTokenProvider({
      authorityUrl: 'https://login.example.test',
      graphHost: 'graph.example.test',
      clientId: 'service-app',
      credential,
      retry: { delaysMs: [1] },
    });

  it("asks the tenant's token endpoint for Graph's .default scope as the service app, and caches per tenant", async () => {
    requests.length = 0;
    status = 200;
    const tokens = provider();
    expect(await tokens.graphToken('tenant-a')).toBe('token-for-tenant-a');
    expect(await tokens.graphToken('tenant-a')).toBe('token-for-tenant-a');
    expect(await tokens.graphToken('tenant-b')).toBe('token-for-tenant-b');
    expect(requests).toHaveLength(2);
    expect(Object.fromEntries(requests[0]!)).toEqual({
      client_id: 'service-app',
      scope: 'https://graph.example.test/.default',
      grant_type: 'client_credentials',
      client_secret: DEV_CLIENT_SECRET,
    });
  });

  it('reports a refusal by the token endpoint as accessDenied without retrying', async () => {
    requests.length = 0;
    status = 401;
    const error = await provider()
      .graphToken('tenant-c')
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(GraphError);
    expect((error as GraphError).kind).toBe('accessDenied');
    expect(requests).toHaveLength(1);
  });

  it('retries a failing token endpoint, then reports unavailable', async () => {
    requests.length = 0;
    status = 503;
    const error = await provider()
      .graphToken('tenant-d')
      .catch((caught: unknown) => caught);
    expect((error as GraphError).kind).toBe('unavailable');
    expect(requests).toHaveLength(2);
  });
});
