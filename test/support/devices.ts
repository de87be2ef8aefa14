import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { ROLE_TEMPLATE_IDS } from '../../shared/config.js';
import { getConfig } from '../../shared/config.js';
import { DeviceClient } from './device-client.js';
import { invoke, type InvokeResult } from './invoke.js';
import { bearer, userToken } from './tokens.js';

/** A Helpdesk Administrator (passcode reset role) of the tenant. */
export async function helpdeskHeaders(tid: string): Promise<Record<string, string>> {
  return bearer(await userToken({ tid, wids: [ROLE_TEMPLATE_IDS.helpdeskAdministrator] }));
}

/** Enrols a new device for a new user of `tid` through the route; the client learns its managed device id. */
export async function enrolledDevice(
  tid: string,
  fields: Parameters<DeviceClient['enrollment']>[0] = {},
): Promise<{ client: DeviceClient; userId: string; response: InvokeResult }> {
  const client = await DeviceClient.create();
  const userId = randomUUID();
  const response = await invoke('POST', '/v1.0/me/managedDevices', { headers: bearer(await userToken({ tid, oid: userId })), body: client.enrollment(fields) });
  expect(response.status).toBe(201);
  client.deviceId = response.json().id;
  return { client, userId, response };
}

/** Headers of a fresh device assertion for the service's own audience. */
export function deviceHeaders(client: DeviceClient, options: Omit<Parameters<DeviceClient['headers']>[0], 'audience'> = {}): Promise<Record<string, string>> {
  return client.headers({ audience: getConfig().publicBaseUrl, ...options });
}
