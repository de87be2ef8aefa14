import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AgentIo } from '../../cli/agent/context.js';
import { COMMANDS, runAgent } from '../../cli/agent/main.js';
import { localPolicyFrom } from '../../cli/agent/local-policy.js';
import { parseCommandArgs } from '../../cli/agent/args.js';
import { PinResetClient } from '../../cli/client/pin-reset-client.js';
import { GraphApiError } from '../../cli/client/errors.js';
import { bearerCredential } from '../../cli/client/http.js';
import { useLocalHost } from '../support/local-host.js';
import { useSimulatedMicrosoft } from '../support/microsoft.js';
import { randomTenantId, userToken } from '../support/tokens.js';

const host = useLocalHost();
useSimulatedMicrosoft();

async function run(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: AgentIo = {
    stdout: (t) => void out.push(t),
    stderr: (t) => void err.push(t),
    env: { HOME: await mkdtemp(path.join(tmpdir(), 'agent-home-')), ...env },
  };
  const code = await runAgent(argv, io);
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

describe('pinreset-agent command line (in process)', () => {
  it.each(COMMANDS.map((c) => [c.path.join(' ')]))('"%s --help" prints usage, options and exit codes, and exits 0', async (name) => {
    const result = await run([...name.split(' '), '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Usage: pinreset-agent ${name}`);
    expect(result.stdout).toContain('--json');
    expect(result.stdout).toContain('3  multi-factor authentication required');
  });

  it('lists every command in the main help; no command at all is a usage error', async () => {
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    for (const command of COMMANDS) expect(help.stdout).toContain(command.path.join(' '));
    expect((await run([])).code).toBe(1);
  });

  it('refuses unknown commands, unknown options, missing and extra arguments with exit 1', async () => {
    expect(await run(['frobnicate'])).toMatchObject({ code: 1, stderr: expect.stringMatching(/unknown command 'frobnicate'/) });
    expect(await run(['admin', 'frobnicate'])).toMatchObject({ code: 1, stderr: expect.stringMatching(/unknown command 'admin frobnicate'/) });
    expect(await run(['enroll', '--bogus'])).toMatchObject({ code: 1, stderr: expect.stringMatching(/Unknown option '--bogus'/) });
    expect(await run(['admin', 'cancel'])).toMatchObject({ code: 1, stderr: expect.stringMatching(/Missing argument: <deviceId> <actionId>/) });
    expect(await run(['status', 'extra'])).toMatchObject({ code: 1, stderr: expect.stringMatching(/Unexpected argument 'extra'/) });
    expect(await run(['enroll', '--join-type', 'domainJoined'])).toMatchObject({ code: 1, stderr: expect.stringMatching(/--join-type must be one of/) });
    expect(await run(['poll', '--min-length', 'seven'])).toMatchObject({ code: 1 });
  });

  it('answers a JSON error document with --json', async () => {
    const result = await run(['enroll', '--bogus', '--json']);
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toEqual({ error: { code: 'UsageError', message: "Unknown option '--bogus'." } });
  });

  it('exits 5 with "not enrolled" for device commands without a state file', async () => {
    for (const command of [['status'], ['reset'], ['poll']]) {
      const result = await run([...command, '--url', host.url]);
      expect(result.code).toBe(5);
      expect(result.stderr).toMatch(/not enrolled .*Run: pinreset-agent enroll/);
    }
  });

  it('asks to sign in (exit 7) when no one is signed in and no token is given, for device and admin commands alike', async () => {
    for (const command of [['enroll'], ['whoami'], ['admin', 'policy']]) {
      const result = await run([...command, '--url', host.url]);
      expect(result.code).toBe(7);
      expect(result.stderr).toMatch(/You are not signed in\. Run: pinreset-agent login/);
    }
    const json = await run(['whoami', '--json', '--url', host.url]);
    expect(JSON.parse(json.stdout)).toMatchObject({ error: { code: 'NotSignedIn' } });
  });

  it('says the service is unreachable with exit 2, and login names PINRESET_URL when it cannot read the sign-in settings', async () => {
    const token = await userToken({ tid: randomTenantId() });
    const result = await run(['admin', 'policy', '--url', 'http://127.0.0.1:1', '--token', token]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/Could not reach the PIN reset service at http:\/\/127\.0\.0\.1:1/);
    const login = await run(['login', '--url', 'http://127.0.0.1:1']);
    expect(login.code).toBe(7);
    expect(login.stderr).toMatch(/Could not reach the PIN reset service at http:\/\/127\.0\.0\.1:1[\s\S]*Check PINRESET_URL/);
  });

  it('defaults to the npm start of this PORT (PINRESET_URL overrides)', async () => {
    const port = new URL(host.url).port;
    const result = await run(['login', '--json'], { PORT: '1' });
    expect(result.stderr).toMatch(/http:\/\/localhost:1\b/);
    const token = await userToken({ tid: randomTenantId() });
    // A user token on an admin route: the service itself answers 403, so the agent found it.
    expect(await run(['admin', 'policy', '--token', token], { PORT: port })).toMatchObject({ code: 2, stderr: expect.stringMatching(/answered 403/) });
    expect(await run(['admin', 'policy', '--token', token], { PORT: '1', PINRESET_URL: host.url })).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/answered 403/),
    });
  });

  it('without --url or PINRESET_URL talks to where npm start serves, following PORT', async () => {
    const result = await run(['admin', 'policy', '--token', await userToken({ tid: randomTenantId() })], { PORT: '1' });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/Could not reach the PIN reset service at http:\/\/localhost:1\b/);
  });

  it('validates the local PIN policy like the service validates settings', async () => {
    await expect(localPolicyFrom({ 'min-length': '8', 'max-length': '6' })).rejects.toThrow(/must not be greater than/);
    await expect(localPolicyFrom({ 'min-length': '7' })).resolves.toMatchObject({ pinMinimumLength: 7, pinDigitsUsage: 'required' });
    await expect(localPolicyFrom({ digits: 'sometimes' })).rejects.toThrow(/--digits must be one of allowed, required, disallowed/);
  });
});

describe('the client library against the routes that exist', () => {
  it('gets a development token and the tenant id from /v1.0/organization?$select=id', async () => {
    const client = new PinResetClient({ baseUrl: host.url });
    expect((await client.health()).status).toMatch(/ok|degraded/);
    const tid = randomTenantId();
    const { access_token } = await client.devToken({ tid, oid: randomTenantId() });
    expect(await client.tenantId(bearerCredential(access_token))).toBe(tid);
  });

  it("surfaces the service's 401 as a GraphApiError with the response's request-id", async () => {
    const client = new PinResetClient({ baseUrl: host.url });
    const error = await client.tenantId(bearerCredential('not-a-token')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GraphApiError);
    expect(error).toMatchObject({ status: 401, code: 'InvalidAuthenticationToken', requestId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
  });
});

describe('parseCommandArgs', () => {
  it('takes a protector key id that begins with "-" as an argument, not as options, and still refuses unknown options', () => {
    const kid = `-Rq2${'a'.repeat(39)}`;
    expect(kid).toHaveLength(43);
    const parsed = parseCommandArgs(['retire', kid, '--yes'], { yes: { type: 'boolean', description: 'skip' } }, 'admin keys');
    expect(parsed.positionals).toEqual(['retire', kid]);
    expect(parsed.values.yes).toBe(true);
    expect(() => parseCommandArgs(['retire', '-Rq2'], {}, 'admin keys')).toThrow(/Unknown option '-R'/);
  });
});
