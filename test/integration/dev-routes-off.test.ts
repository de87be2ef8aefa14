import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resetConfigForTests } from '../../shared/config.js';
import { setServices } from '../../shared/wiring.js';
import { invoke } from '../support/invoke.js';

const PRODUCTION_LIKE = {
  PINRESET_DEV_MODE: 'false',
  PINRESET_SERVICE_APP_ID: '11111111-1111-4111-8111-111111111111',
  PINRESET_SERVICE_APP_ID_URI: 'api://pinreset.contoso.com',
  PINRESET_CLIENT_APP_ID: '22222222-2222-4222-8222-222222222222',
  PINRESET_LOCAL_KEK: Buffer.alloc(32, 7).toString('base64'),
};
const saved: Record<string, string | undefined> = {};

beforeAll(() => {
  for (const [name, value] of Object.entries(PRODUCTION_LIKE)) {
    saved[name] = process.env[name];
    process.env[name] = value;
  }
  resetConfigForTests();
  setServices(undefined);
});

afterAll(() => {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  resetConfigForTests();
  setServices(undefined);
});

describe('development routes with development mode off', () => {
  it.each([
    ['POST', '/dev/token', { tid: 'not-even-valid' }],
    ['POST', '/dev/token', 'plain text'],
    ['GET', '/dev/token', undefined],
    ['GET', '/dev/keys', undefined],
    ['DELETE', '/dev/keys', undefined],
    ['GET', '/dev/login/contoso.com/v2.0/adminconsent?client_id=x&redirect_uri=http://localhost/&state=s', undefined],
    ['POST', '/dev/login/contoso.com/v2.0/adminconsent', 'decision=accept'],
  ])('answers %s %s with 404 before looking at method or body, like a route that does not exist', async (method, path, body) => {
    const response = await invoke(method, path, body === undefined ? {} : { body: body as string | object });
    expect(response.status).toBe(404);
    expect(response.json().error.code).toBe('Request_ResourceNotFound');
    expect(response.text).not.toMatch(/tid|Allowed|form/i);
  });
});
