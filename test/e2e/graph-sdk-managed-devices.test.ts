import {
  AnonymousAuthenticationProvider,
  HttpMethod,
  ParseNodeFactoryRegistry,
  RequestInformation,
  type Parsable,
  type ParseNode,
} from '@microsoft/kiota-abstractions';
import { FetchRequestAdapter } from '@microsoft/kiota-http-fetchlibrary';
import { JsonParseNodeFactory } from '@microsoft/kiota-serialization-json';
import { describe, expect, it } from 'vitest';
import type { ManagedDevice, PendingAction } from '../../cli/client/types.js';
import { ROLE_TEMPLATE_IDS } from '../../shared/config.js';
import { activateTenant } from '../support/active-tenant.js';
import { DeviceClient } from '../support/device-client.js';
import { jsonOf, useLocalHost } from '../support/local-host.js';
import { useSimulatedMicrosoft } from '../support/microsoft.js';
import { bearer, userToken } from '../support/tokens.js';

const host = useLocalHost();
useSimulatedMicrosoft();

/**
 * The Kiota-generated Graph models of `@microsoft/msgraph-sdk` (v1.0), loaded by a computed specifier
 * so that tsc does not type-check their 6 MB of declarations on every typecheck. Kiota reads
 * `resetPasscodeActionResult.errorCode` with `getNumberValue()`: a string there is silently dropped.
 */
type ModelFactory = (parseNode: ParseNode | undefined) => (instance?: Parsable) => Record<string, (node: ParseNode) => void>;
interface GraphModels {
  createManagedDeviceFromDiscriminatorValue: ModelFactory;
  createManagedDeviceCollectionResponseFromDiscriminatorValue: ModelFactory;
}
const MODELS = '@microsoft/msgraph-sdk/models/index.js';
const models = (): Promise<GraphModels> => import(/* @vite-ignore */ `${MODELS}`) as Promise<GraphModels>;

interface KiotaActionResult {
  odataType?: string;
  actionState?: string;
  errorCode?: number;
  passcode?: string | null;
  additionalData?: Record<string, unknown>;
}
interface KiotaManagedDevice {
  id?: string;
  deviceName?: string;
  deviceActionResults?: KiotaActionResult[];
}

/** Kiota's own fetch request adapter and JSON parse nodes, pointed at this service (a Graph-compatible base URL). */
function graphAdapter(): FetchRequestAdapter {
  const registry = new ParseNodeFactoryRegistry();
  registry.contentTypeAssociatedFactories.set('application/json', new JsonParseNodeFactory());
  const adapter = new FetchRequestAdapter(new AnonymousAuthenticationProvider(), registry);
  adapter.baseUrl = `${host.url}/v1.0`;
  return adapter;
}

async function kiotaGet<T>(adapter: FetchRequestAdapter, path: string, token: string, factory: ModelFactory): Promise<T> {
  const request = new RequestInformation(HttpMethod.GET, `{+baseurl}${path}`);
  request.pathParameters.baseurl = adapter.baseUrl;
  request.headers.add('Authorization', `Bearer ${token}`);
  request.headers.add('Accept', 'application/json');
  return (await adapter.send(request, factory as never, undefined)) as T;
}

describe('the Kiota-based Graph SDK reads managed devices', () => {
  it('reads resetPasscodeActionResult.errorCode as a number (Int32), in the list and the single-device read', async () => {
    const tid = await activateTenant();
    const json = { 'Content-Type': 'application/json' };
    const adminToken = await userToken({ tid, wids: [ROLE_TEMPLATE_IDS.helpdeskAdministrator] });
    const device = await DeviceClient.create();
    const enrolment = await host.request('/v1.0/me/managedDevices', {
      method: 'POST',
      headers: { ...bearer(await userToken({ tid })), ...json },
      body: JSON.stringify(device.enrollment({ deviceName: 'KIOTA-PC' })),
    });
    device.deviceId = (await jsonOf<ManagedDevice>(enrolment)).id;
    const deviceAuth = () => device.headers({ audience: host.url });
    expect(
      (await host.request(`/v1.0/deviceManagement/managedDevices/${device.deviceId}/resetPasscode`, { method: 'POST', headers: bearer(adminToken) })).status,
    ).toBe(204);
    const [action] = (
      await jsonOf<{ value: PendingAction[] }>(await host.request(`/v1.0/devices/${device.deviceId}/pendingActions`, { headers: await deviceAuth() }))
    ).value;
    const failed = await host.request(`/v1.0/devices/${device.deviceId}/pendingActions/${action!.id}/result`, {
      method: 'POST',
      headers: { ...(await deviceAuth()), ...json },
      body: JSON.stringify({ actionState: 'failed', errorCode: 'InvalidPinTooFewCharacters' }),
    });
    expect(failed.status).toBe(204);

    const { createManagedDeviceFromDiscriminatorValue, createManagedDeviceCollectionResponseFromDiscriminatorValue } = await models();
    const adapter = graphAdapter();
    const single = await kiotaGet<KiotaManagedDevice>(
      adapter,
      `/deviceManagement/managedDevices/${device.deviceId}`,
      adminToken,
      createManagedDeviceFromDiscriminatorValue,
    );
    expect(single.deviceName).toBe('KIOTA-PC');
    const [result] = single.deviceActionResults ?? [];
    expect(result).toMatchObject({ odataType: '#microsoft.graph.resetPasscodeActionResult', actionState: 'failed', errorCode: 1001 });
    expect(result!.additionalData).toMatchObject({ errorName: 'InvalidPinTooFewCharacters' });

    const list = await kiotaGet<{ value?: KiotaManagedDevice[] }>(
      adapter,
      '/deviceManagement/managedDevices',
      adminToken,
      createManagedDeviceCollectionResponseFromDiscriminatorValue,
    );
    expect(list.value?.[0]?.deviceActionResults?.[0]).toMatchObject({ actionState: 'failed', errorCode: 1001 });
  });
});
