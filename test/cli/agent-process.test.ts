import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AgentState } from '../../cli/agent/state.js';
import { useLocalHost } from '../support/local-host.js';
import { useSimulatedMicrosoft } from '../support/microsoft.js';
import { adminToken, bearer, mfaToken, randomTenantId } from '../support/tokens.js';

/**
 * pinreset-agent run as a real process (`node dist/cli/pinreset-agent.js`, built by `npm run build`)
 * against the local host this test file starts. The CLI talks plain HTTP to it. The sign-in itself
 * (login, refresh, step-up, logout) is test/cli/agent-sign-in.test.ts; here each device's user and
 * admin pass tokens the test mints (PINRESET_TOKEN, PINRESET_ADMIN_TOKEN), as a script would.
 */
const host = useLocalHost();
useSimulatedMicrosoft();

const CLI = path.resolve('dist/cli/pinreset-agent.js');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Every byte any CLI process printed in this file, to scan for the protector at the end. */
const allOutput: string[] = [];

function agent(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { env: { PATH: process.env.PATH, HOME: env.HOME ?? tmpdir(), PINRESET_URL: host.url, ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        allOutput.push(stdout, stderr);
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** `admin onboard` as the tenant's Global Administrator (a minted admin token for the status check). */
async function onboard(tenantId: string, extra: string[] = []): Promise<Run> {
  return agent(['admin', 'onboard', '--tenant', tenantId, ...extra], { PINRESET_ADMIN_TOKEN: await adminToken(tenantId) });
}

interface Device {
  tenantId: string;
  statePath: string;
  env: Record<string, string>;
  state(): Promise<AgentState>;
}

/** Onboards a fresh tenant through the consent pages with the CLI itself, once per test file. */
let onboardedTenant: string;
const devices: Device[] = [];

async function newDevice(extra: string[] = [], tenantId = onboardedTenant): Promise<Device & { enroll: Run }> {
  const directory = await mkdtemp(path.join(tmpdir(), 'agent-process-'));
  const statePath = path.join(directory, 'agent', 'state.json');
  const env = { PINRESET_AGENT_STATE: statePath, PINRESET_TENANT: tenantId, HOME: directory, ...(await tokensFor(tenantId)) };
  const enroll = await agent(['enroll', '--device-name', 'PROC-PC', ...extra], env);
  const device = { tenantId, statePath, env, enroll, state: async () => JSON.parse(await readFile(statePath, 'utf8')) as AgentState };
  devices.push(device);
  return device;
}

/** A user (with MFA) and a Global Administrator of the tenant, as the environment a script would set. */
async function tokensFor(tenantId: string, userObjectId: string = randomUUID()): Promise<{ PINRESET_TOKEN: string; PINRESET_ADMIN_TOKEN: string }> {
  return { PINRESET_TOKEN: await mfaToken(tenantId, userObjectId), PINRESET_ADMIN_TOKEN: await adminToken(tenantId) };
}

/** What the service decrypts for this device's protected secret (fetched by the test, never by the CLI output). */
async function protectorOf(device: Device): Promise<Buffer> {
  const state = await device.state();
  const response = await host.request('/v1.0/me/pinResetProtector/decrypt', {
    method: 'POST',
    headers: { ...bearer(await mfaToken(state.tenantId, state.userObjectId)), 'Content-Type': 'application/json' },
    body: JSON.stringify({ protectedSecret: state.hello.protectedSecret }),
  });
  expect(response.status).toBe(200);
  return Buffer.from(((await response.json()) as { secret: string }).secret, 'base64');
}

function encodingsOf(secret: Buffer): string[] {
  return [secret.toString('base64'), secret.toString('base64url'), secret.toString('hex'), secret.toString('hex').toUpperCase()];
}

beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first (npm test does).`);
  onboardedTenant = randomTenantId();
  const onboarded = await onboard(onboardedTenant);
  if (onboarded.code !== 0) throw new Error(`admin onboard failed (${onboarded.code}): ${onboarded.stdout}\n${onboarded.stderr}`);
}, 60_000);

describe('pinreset-agent as a process', () => {
  it('admin onboard drives the consent pages to an active tenant and shows the success page', async () => {
    const tenantId = randomTenantId();
    const run = await onboard(tenantId, ['--json']);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result).toMatchObject({ tenantId, state: 'active', consentPages: 2, finalStatus: 200 });
    expect(result.page).toMatch(/Onboarding succeeded/);
  });

  it('admin onboard with Cancel on the consent page reports the failure and exits 2', async () => {
    const run = await onboard(randomTenantId(), ['--cancel']);
    expect(run.code).toBe(2);
    expect(run.stdout).toMatch(/Onboarding state: (failed|notStarted|serviceConsentPending)/);
  });

  it('enroll writes a 0600 state file in a 0700 directory with the JWE and hash, never the protector', async () => {
    const device = await newDevice();
    expect(device.enroll.code).toBe(0);
    expect(device.enroll.stdout).toMatch(/CanReset : DestructiveAndNonDestructive/);
    expect((await stat(device.statePath)).mode & 0o777).toBe(0o600);
    expect((await stat(path.dirname(device.statePath))).mode & 0o777).toBe(0o700);
    const state = await device.state();
    expect(state.tenantId).toBe(device.tenantId);
    expect(state.hello.protectedSecret?.split('.')).toHaveLength(5);
    const header = JSON.parse(Buffer.from(state.hello.protectedSecret?.split('.')[0] ?? '', 'base64url').toString());
    expect(header).toEqual({ alg: 'RSA-OAEP-256', enc: 'A256GCM', kid: state.hello.protectorKeyId, tid: state.tenantId, oid: state.userObjectId });

    const protector = await protectorOf(device);
    expect(protector).toHaveLength(32);
    const text = await readFile(device.statePath, 'utf8');
    for (const encoded of encodingsOf(protector)) {
      expect(text).not.toContain(encoded);
      expect(device.enroll.stdout + device.enroll.stderr).not.toContain(encoded);
    }
    expect(state.hello.protectorHash).toBe(`sha256:${createHash('sha256').update(protector).digest('base64url')}`);
  });

  it('enroll refuses to overwrite an enrolment without --force (exit 1), and --force re-enrols the same azureADDeviceId', async () => {
    const device = await newDevice();
    const first = await device.state();
    const again = await agent(['enroll'], device.env);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already enrolled/);
    const forced = await agent(['enroll', '--force', '--json'], device.env);
    expect(forced.code).toBe(0);
    const second = await device.state();
    expect(second.device.azureADDeviceId).toBe(first.device.azureADDeviceId);
    expect(second.device.id).toBe(first.device.id);
    expect(second.hello.protectorHash).not.toBe(first.hello.protectorHash);
  });

  it('status prints the dsregcmd User State block and the service records the report', async () => {
    const device = await newDevice();
    const run = await agent(['status'], device.env);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`+${'-'.repeat(70)}+\n| User State`);
    expect(run.stdout).toMatch(/^ {20}NgcSet : YES$/m);
    expect(run.stdout).toMatch(/^ {18}NgcKeyId : \{[0-9A-F-]{36}\}$/m);
    expect(run.stdout).toMatch(/^ {18}CanReset : DestructiveAndNonDestructive$/m);
    expect(run.stdout).toMatch(/^ {11}WorkplaceJoined : NO$/m);
    expect(run.stdout).toContain('Passcode reveals: none');
    const state = await device.state();
    const adminView = await agent(['admin', 'devices', state.device.id, '--json'], device.env);
    expect(JSON.parse(adminView.stdout)).toMatchObject({ id: state.device.id, canReset: 'DestructiveAndNonDestructive', lastSyncDateTime: expect.any(String) });
  });

  it('status --json of a workplace-registered device without PIN recovery says DestructiveOnly', async () => {
    const device = await newDevice(['--join-type', 'azureADRegistered', '--no-pin-recovery']);
    expect(device.enroll.code).toBe(0);
    const run = await agent(['status', '--json'], device.env);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      canReset: 'DestructiveOnly',
      ngcSet: true,
      pinRecoveryEnabled: false,
      joinType: 'azureADRegistered',
      reported: true,
    });
    const reset = await agent(['reset'], device.env);
    expect(reset.code).toBe(5);
    expect(reset.stderr).toMatch(/DestructiveOnly.*--destructive/);
  });

  it('reset with a token without MFA shows the step-up message and exits 3; with MFA it verifies the protector and never prints it', async () => {
    const device = await newDevice();
    const state = await device.state();
    const withoutMfa = { ...device.env, PINRESET_TOKEN: await mfaToken(state.tenantId, state.userObjectId, { amr: ['pwd'] }) };
    const refused = await agent(['reset'], withoutMfa);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/Multi-factor authentication is required to reset the PIN/);
    expect(refused.stderr).toMatch(/Claims challenge: \{"access_token":\{"amr":\{"essential":true,"values":\["mfa","ngcmfa"\]\}\}\}/);
    expect(refused.stderr).toMatch(/The token from PINRESET_TOKEN has no \(recent\) MFA\. Pass one that has, or leave it out so that the agent signs you in/);
    const refusedJson = await agent(['reset', '--json'], withoutMfa);
    expect(JSON.parse(refusedJson.stdout)).toMatchObject({
      result: 'mfaRequired',
      code: 'MfaRequired',
      claims: { access_token: { amr: { essential: true } } },
    });

    const reset = await agent(['reset', '--json'], device.env);
    expect(reset.code).toBe(0);
    const result = JSON.parse(reset.stdout);
    expect(result).toEqual({
      result: 'success',
      kind: 'nonDestructive',
      verified: true,
      keyId: state.hello.protectorKeyId,
      reprotectRecommended: false,
      reprotected: false,
      protectorKeyId: state.hello.protectorKeyId,
    });
    const protector = await protectorOf(device);
    for (const encoded of encodingsOf(protector)) expect(reset.stdout + reset.stderr).not.toContain(encoded);
  });

  it('reset after a key rotation re-protects under the current key (reprotectRecommended), then no longer needs to', async () => {
    const tenantId = randomTenantId();
    expect((await onboard(tenantId)).code).toBe(0);
    const device = await newDevice([], tenantId);
    const before = await device.state();
    const rotate = await agent(['admin', 'keys', 'rotate', '--json'], device.env);
    expect(rotate.code).toBe(0);
    const versions = JSON.parse(rotate.stdout).versions as { kid: string; state: string }[];
    expect(versions.find((v) => v.kid === before.hello.protectorKeyId)?.state).toBe('decryptOnly');
    const current = versions.find((v) => v.state === 'active')?.kid;

    const reset = await agent(['reset', '--json'], device.env);
    expect(reset.code).toBe(0);
    expect(JSON.parse(reset.stdout)).toMatchObject({
      keyId: before.hello.protectorKeyId,
      reprotectRecommended: true,
      reprotected: true,
      protectorKeyId: current,
    });
    const after = await device.state();
    expect(after.hello.protectorKeyId).toBe(current);
    expect(after.hello.protectorHash).toBe(before.hello.protectorHash);
    expect(after.hello.protectedSecret).not.toBe(before.hello.protectedSecret);
    expect((await stat(device.statePath)).mode & 0o777).toBe(0o600);
    expect(JSON.parse((await agent(['reset', '--json'], device.env)).stdout)).toMatchObject({ keyId: current, reprotectRecommended: false });
  });

  it('reset exits 4 when the key was retired, and --destructive re-provisions the container', async () => {
    const tenantId = randomTenantId();
    expect((await onboard(tenantId)).code).toBe(0);
    const device = await newDevice([], tenantId);
    const before = await device.state();
    expect((await agent(['admin', 'keys', 'rotate'], device.env)).code).toBe(0);
    // No terminal to confirm on (stdin is a pipe): refused unless --yes.
    expect(await agent(['admin', 'keys', 'retire', before.hello.protectorKeyId ?? ''], device.env)).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/no terminal to ask on\. Pass --yes/),
    });
    expect((await agent(['admin', 'keys', 'retire', before.hello.protectorKeyId ?? '', '--yes'], device.env)).code).toBe(0);
    const failed = await agent(['reset'], device.env);
    expect(failed.code).toBe(4);
    expect(failed.stderr).toMatch(/could not decrypt.*\n.*reset --destructive/);

    const destructive = await agent(['reset', '--destructive', '--json'], device.env);
    expect(destructive.code).toBe(0);
    const result = JSON.parse(destructive.stdout);
    const after = await device.state();
    expect(result).toMatchObject({
      result: 'success',
      kind: 'destructive',
      previousNgcKeyId: before.hello.ngcKeyId,
      ngcKeyId: after.hello.ngcKeyId,
      canReset: 'DestructiveAndNonDestructive',
    });
    expect(after.hello.ngcKeyId).not.toBe(before.hello.ngcKeyId);
    expect(after.device.azureADDeviceId).toBe(before.device.azureADDeviceId);
    expect(after.hello.protectorKeyId).not.toBe(before.hello.protectorKeyId);
    expect((await agent(['reset'], device.env)).code).toBe(0);
    // The new device key signs the device calls.
    expect((await agent(['status'], device.env)).code).toBe(0);
  });

  it('poll reproduces the field failure (InvalidPinTooFewCharacters), the admin sees why, and the fix makes it done', async () => {
    const tenantId = randomTenantId();
    expect((await onboard(tenantId)).code).toBe(0);
    const device = await newDevice(['--min-length', '10'], tenantId);
    const id = (await device.state()).device.id;
    expect(await agent(['poll'], device.env)).toMatchObject({ code: 0, stdout: expect.stringMatching(/No pending actions/) });

    const requested = await agent(['admin', 'reset-passcode', id, '--json'], device.env);
    expect(requested.code).toBe(0);
    const pending = JSON.parse(requested.stdout).action;
    expect(pending).toMatchObject({ actionName: 'newPasscode', actionState: 'pending' });
    expect(pending.passcode).toHaveLength(8);
    expect(await agent(['admin', 'reset-passcode', id], device.env)).toMatchObject({ code: 2, stderr: expect.stringMatching(/409 Conflict/) });

    // admin reset-passcode read the device back with its passcode: a reveal the device's user is shown.
    const seen = await agent(['status', '--json'], device.env);
    expect(JSON.parse(seen.stdout).passcodeReveals).toEqual([
      expect.objectContaining({ actionId: pending.id, revealedBy: expect.any(String), revealedDateTime: expect.any(String) }),
    ]);
    expect((await agent(['status'], device.env)).stdout).toMatch(/Passcode reveals \(an administrator viewed a passcode for this device\):\n {2}\S+ {2}by \S+/);

    const refused = await agent(['poll', '--json'], device.env);
    expect(refused.code).toBe(6);
    expect(JSON.parse(refused.stdout).actions).toEqual([
      {
        id: pending.id,
        actionName: 'newPasscode',
        actionState: 'failed',
        errorCode: 'InvalidPinTooFewCharacters',
        reason: 'The PIN has fewer than the minimum of 10 characters.',
      },
    ]);
    expect(refused.stdout).not.toContain(pending.passcode);

    const failed = JSON.parse((await agent(['admin', 'devices', id, '--json'], device.env)).stdout);
    expect(failed.deviceActionResults).toEqual([
      expect.objectContaining({
        id: pending.id,
        actionState: 'failed',
        errorCode: 1001,
        errorName: 'InvalidPinTooFewCharacters',
        errorDescription: expect.stringMatching(/pinMinimumLength/),
      }),
    ]);

    const settings = await agent(['admin', 'settings', '--min-length', '10', '--json'], device.env);
    expect(settings.code).toBe(0);
    expect(JSON.parse(settings.stdout).pinComplexity.pinMinimumLength).toBe(10);
    const second = JSON.parse((await agent(['admin', 'reset-passcode', id, '--json'], device.env)).stdout).action;
    expect(second.passcode).toHaveLength(10);
    const done = await agent(['poll'], device.env);
    expect(done.code).toBe(0);
    expect(done.stdout).toMatch(/passcode accepted by the local PIN policy and applied\. Reported done\./);
    const list = await agent(['admin', 'devices', '--filter', `deviceName eq 'PROC-PC'`], device.env);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`${id}\\s+PROC-PC\\s+azureADJoined\\s+DestructiveAndNonDestructive\\s+\\S+\\s+newPasscode done`));
  });

  it('poll --save keeps the local policy; a passcode that fits it is reported done', async () => {
    const device = await newDevice();
    const id = (await device.state()).device.id;
    await agent(['poll', '--min-length', '8', '--save'], device.env);
    expect((await device.state()).localPinPolicy.pinMinimumLength).toBe(8);
    expect((await agent(['admin', 'reset-passcode', id], device.env)).code).toBe(0);
    expect((await agent(['poll'], device.env)).code).toBe(0);
  });

  it('admin cancel cancels a pending action', async () => {
    const device = await newDevice();
    const id = (await device.state()).device.id;
    const action = JSON.parse((await agent(['admin', 'reset-passcode', id, '--json'], device.env)).stdout).action;
    const cancel = await agent(['admin', 'cancel', id, action.id], device.env);
    expect(cancel.code).toBe(0);
    const view = JSON.parse((await agent(['admin', 'devices', id, '--json'], device.env)).stdout);
    expect(view.deviceActionResults[0]).toMatchObject({ id: action.id, actionState: 'canceled' });
  });

  it('admin policy prints the Intune body with EnablePinRecovery for the tenant', async () => {
    const run = await agent(['admin', 'policy', '--json'], { PINRESET_ADMIN_TOKEN: await adminToken(onboardedTenant) });
    expect(run.code).toBe(0);
    const body = JSON.parse(run.stdout);
    expect(body['@odata.type']).toBe('#microsoft.graph.windows10CustomConfiguration');
    expect(body.omaSettings).toContainEqual(
      expect.objectContaining({
        '@odata.type': '#microsoft.graph.omaSettingBoolean',
        omaUri: `./Device/Vendor/MSFT/PassportForWork/${onboardedTenant}/Policies/EnablePinRecovery`,
        value: true,
      }),
    );
  });

  it("admin settings refuses an invalid value with the service's 400 naming the field (exit 2)", async () => {
    const run = await agent(['admin', 'settings', '--min-length', '3'], { PINRESET_ADMIN_TOKEN: await adminToken(onboardedTenant) });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/400 BadRequest: .*pinMinimumLength/);
  });

  it('admin audit lists the trail newest first and filters by activity', async () => {
    const device = await newDevice();
    await agent(['reset'], device.env);
    const run = await agent(['admin', 'audit', '--json'], device.env);
    expect(run.code).toBe(0);
    const events = JSON.parse(run.stdout) as { activity: string; activityDateTime: string }[];
    expect(events.map((e) => e.activity)).toEqual(expect.arrayContaining(['onboardingCompleted', 'deviceEnrolled', 'protectorDecrypt']));
    expect([...events].sort((a, b) => b.activityDateTime.localeCompare(a.activityDateTime))).toEqual(events);
    const decrypts = JSON.parse((await agent(['admin', 'audit', '--activity', 'protectorDecrypt', '--json'], device.env)).stdout) as { activity: string }[];
    expect(decrypts.length).toBeGreaterThan(0);
    expect(decrypts.every((e) => e.activity === 'protectorDecrypt')).toBe(true);
    const table = await agent(['admin', 'audit', '--top', '5'], device.env);
    expect(table.stdout.split('\n')[0]).toMatch(/^activityDateTime\s+activity\s+result\s+resultReason\s+initiatedBy$/);
  });

  it('a device of a tenant that was never onboarded cannot enrol: the service error is shown with exit 2', async () => {
    const run = await agent(['enroll'], {
      PINRESET_AGENT_STATE: path.join(await mkdtemp(path.join(tmpdir(), 'agent-process-')), 's.json'),
      PINRESET_TOKEN: await mfaToken(randomTenantId(), randomUUID()),
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/The service answered 40\d /);
  });

  it('--help works for every command as a process', async () => {
    for (const command of [
      ['login'],
      ['whoami'],
      ['logout'],
      ['enroll'],
      ['status'],
      ['reset'],
      ['poll'],
      ['admin', 'onboard'],
      ['admin', 'policy'],
      ['admin', 'settings'],
      ['admin', 'keys'],
      ['admin', 'devices'],
      ['admin', 'reset-passcode'],
      ['admin', 'cancel'],
      ['admin', 'audit'],
    ]) {
      const run = await agent([...command, '--help']);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain(`Usage: pinreset-agent ${command.join(' ')}`);
    }
  });

  it('never printed a protector in any output of this file, nor kept one in a state file', async () => {
    // Runs last: every device enrolled above whose protector is still recoverable (PIN recovery on,
    // key not retired) has its current protector decrypted by the test and searched for.
    const output = allOutput.join('\n');
    const recoverable = [];
    for (const device of devices) {
      if ((await device.state()).hello.protectorKeyId && device.tenantId === onboardedTenant) recoverable.push(device);
    }
    expect(recoverable.length).toBeGreaterThanOrEqual(7);
    for (const device of recoverable) {
      const protector = await protectorOf(device);
      const stateText = await readFile(device.statePath, 'utf8');
      for (const encoded of encodingsOf(protector)) {
        expect(output).not.toContain(encoded);
        expect(stateText).not.toContain(encoded);
      }
    }
  });
});
