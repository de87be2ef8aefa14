import { readFileSync } from 'node:fs';
import { chmod, mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_ACTIVITIES } from '../../shared/contract/audit.js';
import type { AgentIo } from '../../cli/agent/context.js';
import { runAgent } from '../../cli/agent/main.js';
import { activateTenant } from '../support/active-tenant.js';
import { enrolledDevice } from '../support/devices.js';
import { useLocalHost } from '../support/local-host.js';
import { useSimulatedMicrosoft } from '../support/microsoft.js';
import { adminToken, mfaToken, randomTenantId, userToken } from '../support/tokens.js';

/**
 * The agent CLI in process, against a local host, with tokens passed explicitly (as against a real
 * deployment): the commands an admin needs in the first hour, and errors that say what to do next.
 */
const host = useLocalHost();
useSimulatedMicrosoft();

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  questions: string[];
}

async function run(argv: string[], env: NodeJS.ProcessEnv = {}, answer?: string): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const questions: string[] = [];
  const io: AgentIo = {
    stdout: (text) => void out.push(text),
    stderr: (text) => void err.push(text),
    env: { HOME: await mkdtemp(path.join(tmpdir(), 'agent-home-')), PINRESET_URL: host.url, ...env },
    ask: async (question) => {
      questions.push(question);
      return answer;
    },
  };
  const code = await runAgent(argv, io);
  return { code, stdout: out.join('\n'), stderr: err.join('\n'), questions };
}

/** How many times the audit log says a passcode of this device was revealed. */
async function revealsOf(deviceId: string): Promise<number> {
  const audit = JSON.parse((await run(['admin', 'audit', '--activity', 'passcodeRevealed', '--top', '999', '--json'], admin)).stdout) as {
    targetResources: { id: string }[];
  }[];
  return audit.filter((event) => event.targetResources.some((target) => target.id === deviceId)).length;
}

let tenant: string;
let admin: NodeJS.ProcessEnv;

beforeAll(async () => {
  tenant = await activateTenant();
  admin = { PINRESET_ADMIN_TOKEN: await adminToken(tenant) };
});

describe('pinreset-agent covers every route an admin or device uses', () => {
  it('--version and -v print the package version', async () => {
    for (const flag of ['--version', '-v']) {
      const result = await run([flag]);
      expect(result).toMatchObject({ code: 0, stdout: `pinreset-agent ${VERSION}` });
    }
    expect(JSON.parse((await run(['--version', '--json'])).stdout)).toEqual({ version: VERSION });
  });

  it('lists the global options (--url, --state, --token, --json) and --version in the top-level help', async () => {
    const help = (await run(['--help'])).stdout;
    expect(help).toContain('Global options (every command):');
    for (const option of ['--url <url>', '--state <file>', '--token <jwt>', '--json', '-v, --version']) expect(help).toContain(option);
    for (const command of ['admin onboarding', 'admin devices delete']) expect(help).toContain(command);
  });

  it('admin onboarding status shows the state of both apps; verify checks them in Entra ID', async () => {
    const onboarded = randomTenantId();
    const env = { PINRESET_ADMIN_TOKEN: await adminToken(onboarded) };
    expect((await run(['admin', 'onboard', '--tenant', onboarded], env)).code).toBe(0);
    const status = await run(['admin', 'onboarding', 'status'], env);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/^state {15}: active$/m);
    expect(status.stdout).toMatch(/^service app {9}: consented /m);
    const verify = await run(['admin', 'onboarding', 'verify', '--json'], env);
    expect(verify.code).toBe(0);
    expect(JSON.parse(verify.stdout)).toMatchObject({ tenantId: onboarded, state: 'active', lastVerifiedDateTime: expect.any(String) });
  });

  it('admin onboarding offboard asks for the tenant id typed out, refuses without a terminal unless --yes, and offboards', async () => {
    const doomed = await activateTenant();
    const env = { PINRESET_ADMIN_TOKEN: await adminToken(doomed) };
    const noTerminal = await run(['admin', 'onboarding', 'offboard'], env, undefined);
    expect(noTerminal.code).toBe(1);
    expect(noTerminal.stderr).toMatch(/no terminal to ask on\. Pass --yes/);
    const wrong = await run(['admin', 'onboarding', 'offboard'], env, 'yes');
    expect(wrong.code).toBe(1);
    expect(wrong.questions[0]).toMatch(new RegExp(`destroys its protector keys[\\s\\S]*Type ${doomed} to confirm`));
    expect(wrong.stderr).toMatch(/Not confirmed .*nothing was changed/);
    expect((await run(['admin', 'onboarding', 'status', '--json'], env)).stdout).toMatch(/"state": "active"/);

    const confirmed = await run(['admin', 'onboarding', 'offboard'], env, doomed);
    expect(confirmed.code).toBe(0);
    expect(confirmed.stdout).toMatch(/^state {15}: offboarded$/m);

    const again = await activateTenant();
    const withYes = await run(['admin', 'onboarding', 'offboard', '--yes', '--json'], { PINRESET_ADMIN_TOKEN: await adminToken(again) });
    expect(withYes.code).toBe(0);
    expect(JSON.parse(withYes.stdout)).toMatchObject({ tenantId: again, state: 'offboarded' });
  });

  it('admin devices delete deletes a managed device', async () => {
    const { client } = await enrolledDevice(tenant);
    const deleted = await run(['admin', 'devices', 'delete', client.deviceId ?? ''], admin);
    expect(deleted).toMatchObject({ code: 0, stdout: `Managed device ${client.deviceId} deleted.` });
    const gone = await run(['admin', 'devices', client.deviceId ?? ''], admin);
    expect(gone.code).toBe(2);
    expect(gone.stderr).toMatch(/404 Request_ResourceNotFound/);
  });

  it('admin keys retire says what retiring means for the devices under the key and goes on only when confirmed', async () => {
    const keyed = await activateTenant();
    const env = { PINRESET_ADMIN_TOKEN: await adminToken(keyed) };
    const state = path.join(await mkdtemp(path.join(tmpdir(), 'agent-keys-')), 'state.json');
    expect((await run(['enroll'], { PINRESET_AGENT_STATE: state, PINRESET_TOKEN: await mfaToken(keyed, randomTenantId()) })).code).toBe(0);
    const rotated = JSON.parse((await run(['admin', 'keys', 'rotate', '--json'], env)).stdout) as { versions: { kid: string; state: string }[] };
    const old = rotated.versions.find((version) => version.state === 'decryptOnly')?.kid ?? '';
    const refused = await run(['admin', 'keys', 'retire', old], env, 'no');
    expect(refused.code).toBe(1);
    expect(refused.questions[0]).toContain(`Retiring key ${old} (decryptOnly) is final`);
    expect(refused.questions[0]).toContain('1 device still holds a protector under it; they will need a destructive reset');
    expect(refused.questions[0]).toMatch(/Type retire to confirm/);
    const unchanged = JSON.parse((await run(['admin', 'keys', '--json'], env)).stdout) as { versions: { kid: string; state: string }[] };
    expect(unchanged.versions.find((version) => version.kid === old)?.state).toBe('decryptOnly');
    const retired = await run(['admin', 'keys', 'retire', old, '--json'], env, 'retire');
    expect(retired.code).toBe(0);
    expect((JSON.parse(retired.stdout) as typeof unchanged).versions.find((version) => version.kid === old)?.state).toBe('retired');
  });

  it('admin policy prints a table with the Group Policy equivalents, saves the body with --out and prints the command that POSTs it', async () => {
    const file = path.join(await mkdtemp(path.join(tmpdir(), 'policy-')), 'policy.json');
    const result = await run(['admin', 'policy', '--out', file], admin);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Intune setting \(OMA-URI\)\s+value\s+Group Policy \(Computer Configuration > Administrative Templates >\)$/m);
    expect(result.stdout).toMatch(/^Policies\/EnablePinRecovery\s+true\s+Windows Components > Windows Hello for Business > Use PIN Recovery = Enabled\.$/m);
    expect(result.stdout).toMatch(/^PINComplexity\/MinimumPINLength\s+6\s+System > PIN Complexity > Minimum PIN length = Enabled, 6\.$/m);
    expect(result.stdout).toMatch(/^PINComplexity\/UppercaseLetters\s+2 \(disallowed\)\s+System > PIN Complexity > Require uppercase/m);
    expect(result.stdout).toContain(
      `az rest --method POST --url https://graph.microsoft.com/v1.0/deviceManagement/deviceConfigurations --headers Content-Type=application/json --body @${file}`,
    );
    const saved = JSON.parse(await readFile(file, 'utf8'));
    expect(saved['@odata.type']).toBe('#microsoft.graph.windows10CustomConfiguration');
    expect(result.stdout.split('\n').filter((line) => !line.includes('az rest') && line.length > 140)).toEqual([]);
    expect(result.stderr).toBe('');
  });

  it('admin policy warns when the tenant is not onboarded', async () => {
    const fresh = randomTenantId();
    const result = await run(['admin', 'policy'], { PINRESET_ADMIN_TOKEN: await adminToken(fresh) });
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(new RegExp(`warning: tenant ${fresh} is not onboarded .*pinreset-agent admin onboard --tenant ${fresh}`));
  });

  it('admin audit --activity accepts only the known activity names, which its help lists', async () => {
    const help = (await run(['admin', 'audit', '--help'])).stdout.replace(/\s+/g, ' ');
    for (const activity of AUDIT_ACTIVITIES) expect(help).toContain(activity);
    const wrong = await run(['admin', 'audit', '--activity', 'protectorDecrypted'], admin);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain(`--activity must be one of ${AUDIT_ACTIVITIES.join(', ')} (got 'protectorDecrypted')`);
    expect((await run(['admin', 'audit', '--activity', 'protectorKeyRotated'], admin)).code).toBe(0);
  });

  it('status never prints a healthy-looking block before failing', async () => {
    const user = randomTenantId();
    const state = path.join(await mkdtemp(path.join(tmpdir(), 'agent-status-')), 'state.json');
    const env = { PINRESET_AGENT_STATE: state, PINRESET_TOKEN: await mfaToken(tenant, user) };
    expect((await run(['enroll'], env)).code).toBe(0);
    const failing = await run(['status', '--url', 'http://127.0.0.1:1'], env);
    expect(failing.code).toBe(2);
    expect(failing.stdout).not.toMatch(/User State|CanReset/);
    const working = await run(['status'], env);
    expect(working.code).toBe(0);
    expect(working.stdout).toMatch(/User State/);
  });
});

describe('pinreset-agent and its state file', () => {
  it("enroll --force does not overwrite (or chmod) a --state file that is not the agent's", async () => {
    const file = path.join(await mkdtemp(path.join(tmpdir(), 'agent-foreign-')), 'settings.json');
    await writeFile(file, '{"theme":"dark"}\n', { mode: 0o644 });
    await chmod(file, 0o644);
    const result = await run(['enroll', '--force', '--state', file], { PINRESET_TOKEN: await mfaToken(tenant, randomTenantId()) });
    expect(result.code).toBe(5);
    expect(result.stderr).toMatch(/not a pinreset-agent state .*left as it is/);
    expect(await readFile(file, 'utf8')).toBe('{"theme":"dark"}\n');
    expect((await stat(file)).mode & 0o777).toBe(0o644);
  });
});

describe('pinreset-agent errors say what to do next', () => {
  it('a domain in --tenant is refused naming --tenant, never as a request field the user did not write', async () => {
    const result = await run(['admin', 'policy', '--tenant', 'contoso.com'], {});
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("--tenant must be the tenant id (a GUID), not 'contoso.com'");
    expect(result.stderr).not.toMatch(/'tid'/);
    // Signing in to a domain is what Entra does: login resolves it, so it is not refused here.
    expect((await run(['login', '--tenant', 'contoso.com'], { PINRESET_URL: 'http://127.0.0.1:1' })).stderr).not.toMatch(/--tenant must be/);
  });

  it("refuses an admin command whose --tenant (or PINRESET_TENANT) is not the token's tenant, before calling the service", async () => {
    const other = randomTenantId();
    const changes = async () =>
      (JSON.parse((await run(['admin', 'audit', '--json'], admin)).stdout) as { activity: string }[]).filter(
        (event) => event.activity === 'settingsUpdated' || event.activity === 'protectorKeyRotated',
      ).length;
    const changesBefore = await changes();
    const named = await run(['admin', 'keys', 'rotate', '--tenant', other], admin);
    expect(named.code).toBe(1);
    expect(named.stderr).toContain(`--tenant names tenant ${other}, but the token in PINRESET_ADMIN_TOKEN is for tenant ${tenant}`);
    expect(named.stderr).toMatch(/admin commands act on the tenant of the token/);
    const fromEnvironment = await run(['admin', 'settings', '--min-length', '9'], { ...admin, PINRESET_TENANT: other });
    expect(fromEnvironment.code).toBe(1);
    expect(fromEnvironment.stderr).toContain(`PINRESET_TENANT names tenant ${other}, but the token in PINRESET_ADMIN_TOKEN is for tenant ${tenant}`);
    const onboard = await run(['admin', 'onboard', '--tenant', other], admin);
    expect(onboard.code).toBe(1);
    expect(onboard.stderr).toContain(`--tenant names tenant ${other}`);
    // Nothing was sent: no key rotated, no setting changed, the other tenant never started onboarding.
    expect(await changes()).toBe(changesBefore);
    const otherAdmin = { PINRESET_ADMIN_TOKEN: await adminToken(other) };
    expect(JSON.parse((await run(['admin', 'onboarding', 'status', '--json'], otherAdmin)).stdout)).toMatchObject({ state: 'notStarted' });
    // The token's own tenant, in any case, is what --tenant is for.
    expect((await run(['admin', 'keys', '--tenant', tenant.toUpperCase()], admin)).code).toBe(0);
  });

  it('admin onboard without a sign-in still walks the consent pages, then asks to sign in to read the status', async () => {
    const fresh = randomTenantId();
    const result = await run(['admin', 'onboard', '--tenant', fresh], {});
    expect(result.code).toBe(7);
    expect(result.stderr).toMatch(/not signed in/i);
    const status = await run(['admin', 'onboarding', 'status', '--json'], { PINRESET_ADMIN_TOKEN: await adminToken(fresh) });
    expect(JSON.parse(status.stdout)).toMatchObject({ state: 'active' });
  });

  it('admin onboard without --tenant onboards the tenant the admin signed in to; with neither it says how to name one', async () => {
    const fresh = randomTenantId();
    const env = { PINRESET_ADMIN_TOKEN: await adminToken(fresh) };
    const result = await run(['admin', 'onboard'], env);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`/onboarding/start?tenant=${fresh}`);
    expect(result.stdout).toMatch(/^Onboarding state: active$/m);

    const neither = await run(['admin', 'onboard'], {});
    expect(neither.code).toBe(1);
    expect(neither.stderr).toContain('Which tenant? Pass --tenant <tenant id or domain>');
    expect(neither.stderr).toContain('or sign in first (pinreset-agent login) to onboard the tenant you signed in to.');
  });

  it('a 403 names the roles that are needed, from the service configuration', async () => {
    const result = await run(['admin', 'devices'], { PINRESET_ADMIN_TOKEN: await userToken({ tid: tenant }) });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /403 Authorization_RequestDenied: .*Global Administrator.*Helpdesk Administrator \(directory roles\), or the app role PinReset\.Administrator/,
    );
    expect(result.stderr).toMatch(/Sign in as a user who holds one of the roles/);
  });

  it('a 401 for an expired token says to sign in again', async () => {
    const expired = await adminToken(tenant, { issuedSecondsAgo: 7200, expiresInSeconds: -3600 } as never);
    const result = await run(['admin', 'devices'], { PINRESET_ADMIN_TOKEN: expired });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/401 InvalidAuthenticationToken: .*expired/);
    expect(result.stderr).toMatch(/sign in again \(pinreset-agent login\), or pass a fresh token with --token/);
  });

  it('a 409 on reset-passcode names the open action and the command that cancels it', async () => {
    const { client } = await enrolledDevice(tenant);
    const id = client.deviceId ?? '';
    const first = JSON.parse((await run(['admin', 'reset-passcode', id, '--json'], admin)).stdout) as { action: { id: string } };
    const second = await run(['admin', 'reset-passcode', id], admin);
    expect(second.code).toBe(2);
    expect(second.stderr).toContain(`The open action is ${first.action.id} (pending`);
    expect(second.stderr).toMatch(new RegExp(`^ {2}pinreset-agent admin cancel ${id} ${first.action.id}$`, 'm'));
    expect(second.stderr.split('\n')[0]).toMatch(/^The service answered 409 Conflict: .*\(request-id [0-9a-f-]{36}\)$/);
  });

  it('reset-passcode without an id resets the device enrolled with this state file', async () => {
    const state = path.join(await mkdtemp(path.join(tmpdir(), 'agent-default-device-')), 'state.json');
    expect((await run(['enroll'], { PINRESET_AGENT_STATE: state, PINRESET_TOKEN: await mfaToken(tenant, randomTenantId()) })).code).toBe(0);
    const deviceId = (JSON.parse(await readFile(state, 'utf8')) as { device: { id: string } }).device.id;
    const result = await run(['admin', 'reset-passcode', '--json'], { ...admin, PINRESET_AGENT_STATE: state });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ deviceId, action: { actionState: 'pending' } });
  });

  it('reading a passcode back is an audited reveal with a reason: the reset default, or --reason (UTF-8) on admin devices', async () => {
    const { client } = await enrolledDevice(tenant);
    const id = client.deviceId ?? '';
    expect((await run(['admin', 'reset-passcode', id], admin)).code).toBe(0);
    expect((await run(['admin', 'devices', id, '--reason', 'Ticket 4711 – Zoë at the desk\nsecond line'], admin)).code).toBe(0);
    const audit = JSON.parse((await run(['admin', 'audit', '--activity', 'passcodeRevealed', '--json'], admin)).stdout) as {
      resultReason: string;
      targetResources: { id: string }[];
    }[];
    const reasons = audit.filter((event) => JSON.stringify(event.targetResources).includes(id)).map((event) => event.resultReason);
    expect(reasons).toHaveLength(2);
    expect(reasons.join('|')).toContain('Passcode reset requested with pinreset-agent admin reset-passcode');
    expect(reasons.join('|')).toContain('Ticket 4711 – Zoë at the desk second line');
  });

  it('admin devices <id> without --reason shows the history but no passcode, reads none (no passcodeRevealed), and says how to reveal', async () => {
    const { client } = await enrolledDevice(tenant);
    const id = client.deviceId ?? '';
    const reset = JSON.parse((await run(['admin', 'reset-passcode', id, '--json'], admin)).stdout) as { action: { id: string; passcode: string } };
    const revealsBefore = await revealsOf(id);
    const view = await run(['admin', 'devices', id], admin);
    expect(view.code).toBe(0);
    expect(view.stdout).toContain(`newPasscode ${reset.action.id}: pending`);
    expect(view.stdout).not.toContain(reset.action.passcode);
    expect(view.stdout).toContain(`To reveal them (audited, and the device's user sees it): pinreset-agent admin devices ${id} --reason "<why>"`);
    const json = JSON.parse((await run(['admin', 'devices', id, '--json'], admin)).stdout) as {
      deviceName: string;
      deviceActionResults: { passcode: unknown }[];
    };
    expect(json.deviceName).toBeTruthy();
    expect(json.deviceActionResults.map((action) => action.passcode)).toEqual([null]);
    expect(await revealsOf(id)).toBe(revealsBefore);
    const revealed = await run(['admin', 'devices', id, '--reason', 'Ticket 12'], admin);
    expect(revealed.stdout).toContain(`passcode         : ${reset.action.passcode}`);
    expect(revealed.stdout).not.toContain('Passcodes are not shown');
    expect(await revealsOf(id)).toBe(revealsBefore + 1);
  });

  it('admin audit names who did it by user principal name, as the admin center does', async () => {
    const upn = `helpdesk@${tenant.slice(0, 8)}.example`;
    const named = { PINRESET_ADMIN_TOKEN: await adminToken(tenant, { upn }) };
    expect((await run(['admin', 'settings', '--rotation-days', '364'], named)).code).toBe(0);
    const table = await run(['admin', 'audit', '--activity', 'settingsUpdated', '--top', '1'], admin);
    expect(table.stdout).toMatch(new RegExp(`settingsUpdated\\s+success\\s+Changed: protectorKeyRotationDays\\s+user ${upn.replace(/\./g, '\\.')}$`, 'm'));
  });

  it('"not onboarded" comes with the full onboarding URL and the CLI command', async () => {
    const fresh = randomTenantId();
    const result = await run(['admin', 'keys', '--tenant', fresh], { PINRESET_ADMIN_TOKEN: await adminToken(fresh) });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`open ${host.url}/onboarding/start?tenant=${fresh} in a browser`);
    expect(result.stderr).toContain(`pinreset-agent admin onboard --tenant ${fresh}`);
  });

  it('"not onboarded" names the tenant of the token in both next steps when no --tenant was given (enroll as a user)', async () => {
    const fresh = randomTenantId();
    const state = path.join(await mkdtemp(path.join(tmpdir(), 'agent-state-')), 'state.json');
    const result = await run(['enroll'], { PINRESET_TOKEN: await userToken({ tid: fresh }), PINRESET_AGENT_STATE: state });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      `Onboard the tenant first: pinreset-agent admin onboard --tenant ${fresh}  (or, as an admin in a browser: ${host.url}/onboarding/start?tenant=${fresh})`,
    );
    expect(result.stderr).not.toContain('<tenant id>');
  });

  it('top-level help: -v, --version lines up with the other global options, and --token is not about a development endpoint', async () => {
    const help = (await run(['--help'])).stdout;
    const url = help.split('\n').find((line) => line.includes('--url <url>'));
    const version = help.split('\n').find((line) => line.includes('-v, --version'));
    expect(version?.indexOf('Print the version')).toBe(url?.indexOf('Service base URL'));
    expect(help).not.toContain('development token endpoint');
    expect(help).toContain('PINRESET_CLOUD');
  });

  it('a refused connection asks whether the service is running and points at PINRESET_URL', async () => {
    const result = await run(['admin', 'devices'], { ...admin, PINRESET_URL: 'http://127.0.0.1:1' });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/Could not reach the PIN reset service at http:\/\/127\.0\.0\.1:1/);
    expect(result.stderr).toMatch(/Is the service running\? Start it with npm start, or check PINRESET_URL \(or --url\)/);
  });
});
