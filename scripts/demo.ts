/**
 * `npm run demo`: the whole PIN reset story from a terminal, against the running `npm start` (--url,
 * else PINRESET_URL, else http://localhost:$PORT, PORT defaulting to 7071) or, when none answers,
 * against a local host this script starts itself (own ports, own Azurite data in a temporary
 * directory; stopped at the end).
 *
 * Every step runs the pinreset-agent commands in process (same code and output as the CLI) and checks
 * what it must show; the demo exits non-zero as soon as a step misbehaves. Everyone signs in the real
 * way, through the development authority's endpoints: `pinreset-agent login` (device code), and the
 * demo plays the person at the browser, completing the verification page over HTTP as a browser
 * would (shared/dev/login-browser.ts), MFA step-up included. It never calls /dev/token.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { defaultServiceUrl, type AgentIo } from '../cli/agent/context.js';
import { EXIT } from '../cli/agent/exit-codes.js';
import { heading } from '../cli/agent/format.js';
import { runAgent } from '../cli/agent/main.js';
import { SignInSession, tokenCachePath } from '../cli/agent/sign-in-session.js';
import type { AgentState } from '../cli/agent/state.js';
import { bearerCredential } from '../cli/client/http.js';
import { PinResetClient } from '../cli/client/pin-reset-client.js';
import type { ManagedDevice, OmaSetting } from '../cli/client/types.js';
import { ROLE_TEMPLATE_IDS } from '../shared/config.js';
import { freePort } from '../shared/dev/azurite.js';
import { approveDeviceCode, type DevLoginUser } from '../shared/dev/login-browser.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** dist/scripts → the repository root. */
const repositoryRoot = path.resolve(here, '..', '..');

class DemoFailure extends Error {}

function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new DemoFailure(message);
}

// --- The service under demonstration ------------------------------------------------------------------

async function answersHealth(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) });
    await response.body?.cancel();
    return response.status === 200 || response.status === 503;
  } catch {
    return false;
  }
}

/** The Values of the repository's local.settings.json, as `npm start` would load them (env wins). */
function localSettings(): Record<string, string> {
  try {
    const settings = JSON.parse(readFileSync(path.join(repositoryRoot, 'local.settings.json'), 'utf8')) as { Values?: Record<string, string> };
    return settings.Values ?? {};
  } catch {
    return {};
  }
}

interface StartedService {
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts dist/scripts/start-local.js on free ports with its working directory in a temporary folder
 * (so its .azurite data is throwaway and a running `npm start` is untouched). Settings come through
 * the environment, since start-local reads local.settings.json from its working directory.
 */
async function startService(): Promise<StartedService> {
  const port = await freePort();
  const tablePort = await freePort();
  const directory = await mkdtemp(path.join(tmpdir(), 'pinreset-demo-'));
  const url = `http://localhost:${port}`;
  const env: NodeJS.ProcessEnv = {
    ...localSettings(),
    ...process.env,
    PORT: String(port),
    AZURITE_TABLE_PORT: String(tablePort),
    PINRESET_PUBLIC_BASE_URL: url,
    PINRESET_DEV_MODE: 'true',
    PINRESET_ACCESS_LOG: 'false',
  };
  delete env.TABLES_CONNECTION_STRING;
  const child: ChildProcess = spawn(process.execPath, [path.join(here, 'start-local.js')], { cwd: directory, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          resolve();
        }, 5_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    await rm(directory, { recursive: true, force: true });
  };
  const deadline = Date.now() + 60_000;
  while (!(await answersHealth(url))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new DemoFailure(`Could not start the local host (dist/scripts/start-local.js):\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return { url, stop };
}

// --- Running the agent and printing the transcript ----------------------------------------------------

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** A person of the simulated directory. */
interface DemoUser {
  label: string;
  user: DevLoginUser;
}

/** The device code prompt pinreset-agent prints (Entra's own wording). */
const DEVICE_CODE_PROMPT = /open the page (\S+) and enter the code (\S+) to authenticate/;

class Transcript {
  private step = 0;

  constructor(private readonly env: NodeJS.ProcessEnv) {}

  heading(title: string): void {
    this.step += 1;
    console.log(`\n${heading(`Step ${this.step}. ${title}`)}\n`);
  }

  note(text: string): void {
    console.log(
      text
        .split('\n')
        .map((line) => `  ${line}`)
        .join('\n'),
    );
  }

  ok(text: string): void {
    console.log(`  ✓ ${text}`);
  }

  /**
   * Runs `pinreset-agent <argv>` in process, echoing the command and its output, and checks the exit
   * code. When the agent shows a device code, `signIn` is the person who opens the page and enters it.
   */
  async agent(
    argv: string[],
    expectedCode: number = EXIT.ok,
    options: { quiet?: boolean; silent?: boolean; signIn?: DemoUser; env?: NodeJS.ProcessEnv } = {},
  ): Promise<Run> {
    if (!options.silent) console.log(`$ pinreset-agent ${argv.map((arg) => (/[\s'"$]/.test(arg) ? `'${arg}'` : arg)).join(' ')}`);
    const stdout: string[] = [];
    const stderr: string[] = [];
    const approvals: Promise<void>[] = [];
    const io: AgentIo = {
      stdout: (text) => {
        stdout.push(text);
        if (!options.quiet && !options.silent) console.log(indent(text));
      },
      stderr: (text) => {
        stderr.push(text);
        console.log(indent(text));
        const prompt = DEVICE_CODE_PROMPT.exec(text);
        if (prompt?.[1] && prompt[2]) approvals.push(this.approve(prompt[1], prompt[2], options.signIn));
      },
      env: options.env ?? this.env,
    };
    const code = await runAgent(argv, io);
    await Promise.all(approvals);
    const run = { code, stdout: stdout.join('\n'), stderr: stderr.join('\n') };
    check(code === expectedCode, `pinreset-agent ${argv.join(' ')} exited ${code}, expected ${expectedCode}`);
    if (code !== EXIT.ok) console.log(`  (exit code ${code}, as expected)`);
    return run;
  }

  /** The person at the browser: opens the verification page, enters the code, signs in (and does MFA when asked). */
  private async approve(verificationUri: string, userCode: string, person: DemoUser | undefined): Promise<void> {
    check(person, `the agent asked for a sign-in (code ${userCode}) where the demo expected none`);
    const result = await approveDeviceCode({ verificationUri, userCode, user: person.user });
    check(result.approved, `the verification page did not sign ${person.label} in: ${result.text.slice(0, 300)}`);
    console.log(indent(`[browser] ${person.label} opened ${verificationUri}, entered ${userCode}, signed in (and did the MFA step if the page asked).`));
  }

  get steps(): number {
    return this.step;
  }
}

const indent = (text: string) =>
  text
    .replace(/\n$/, '')
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');

// --- The story ------------------------------------------------------------------------------------------

async function story(url: string): Promise<number> {
  const client = new PinResetClient({ baseUrl: url });
  const stateDirectory = await mkdtemp(path.join(tmpdir(), 'pinreset-agent-demo-'));
  const statePath = path.join(stateDirectory, 'device', 'state.json');
  /** The admin works from their own machine: their own state directory and token cache. */
  const adminState = ['--state', path.join(stateDirectory, 'admin', 'state.json')];
  const tenantId = randomUUID();
  const domain = `demo${tenantId.slice(0, 8)}.onmicrosoft.com`;
  const admin: DemoUser = {
    label: 'Avery (Global Administrator)',
    user: { tenantId, userPrincipalName: `avery@${domain}`, displayName: 'Avery Admin', directoryRoles: [ROLE_TEMPLATE_IDS.globalAdministrator] },
  };
  const user: DemoUser = { label: 'Riley', user: { tenantId, userPrincipalName: `riley@${domain}`, displayName: 'Riley User' } };
  const env: NodeJS.ProcessEnv = { ...process.env, PINRESET_URL: url, PINRESET_AGENT_STATE: statePath };
  delete env.PINRESET_TENANT;
  delete env.PINRESET_TOKEN;
  delete env.PINRESET_ADMIN_TOKEN;
  delete env.PORT;
  env.BROWSER = 'none';
  const t = new Transcript(env);
  try {
    t.heading('The service');
    const health = await client.health();
    t.note(`GET ${url}/health -> ${JSON.stringify(health)}`);
    check(health.status === 'ok', `the service is ${health.status}`);
    const signIn = await client.signInConfiguration();
    t.note(`GET ${url}/signin-configuration -> ${JSON.stringify(signIn)}`);

    t.heading('The admin signs in (device code flow)');
    t.note(`A new tenant ${tenantId}. Avery, its Global Administrator, signs in to it; the demo plays Avery's browser.`);
    await t.agent(['login', '--tenant', tenantId, ...adminState], EXIT.ok, { signIn: admin });

    t.heading('Onboard the tenant through the consent pages');
    t.note("Avery's browser: start -> sign-in -> consent -> Accept -> callback -> consent -> Accept.");
    await t.agent(['admin', 'onboard', '--tenant', tenantId, ...adminState]);

    t.heading('The user signs in (device code flow, no MFA yet)');
    t.note('At the served tenant `organizations`: Riley names their own tenant on the sign-in page.');
    const login = await t.agent(['login'], EXIT.ok, { signIn: user });
    check(login.stdout.includes(`riley@${domain}`), 'login did not name the signed-in user');
    const whoami = JSON.parse((await t.agent(['whoami', '--json'])).stdout) as { account: { tenantId: string; objectId: string } };
    check(whoami.account.tenantId === tenantId, 'whoami does not name the tenant');
    const tokens = await stat(tokenCachePath(statePath));
    check((tokens.mode & 0o777) === 0o600, `the token cache has mode ${(tokens.mode & 0o777).toString(8)}`);
    t.ok(`signed in as riley@${domain}; tokens cached with mode 600 and never printed`);

    t.heading('Look up the tenant id with /v1.0/organization?$select=id');
    const session = new SignInSession(tokenCachePath(statePath), { tell: () => {}, env });
    const response = await client.http.request<unknown>('GET', '/v1.0/organization?$select=id', { credential: bearerCredential(() => session.accessToken()) });
    t.note(`GET /v1.0/organization?$select=id  (with Riley's token)\n${JSON.stringify(response.body)}`);
    check(JSON.stringify(response.body).includes(`"id":"${tenantId}"`), 'the organization answer did not name the tenant');

    t.heading('The generated client policy (Intune custom profile / Group Policy)');
    const policyRun = await t.agent(['admin', 'policy', '--json', ...adminState], EXIT.ok, { quiet: true });
    const policy = JSON.parse(policyRun.stdout) as { '@odata.type': string; displayName?: string; omaSettings: OmaSetting[] };
    t.note(`${policy['@odata.type']}: ${policy.displayName ?? ''}`);
    for (const setting of policy.omaSettings)
      t.note(`  ${setting['@odata.type'].replace('#microsoft.graph.', '').padEnd(18)} ${setting.omaUri} = ${JSON.stringify(setting.value)}`);
    const enable = policy.omaSettings.find((setting) => setting.omaUri.endsWith('/Policies/EnablePinRecovery'));
    check(enable?.omaUri === `./Device/Vendor/MSFT/PassportForWork/${tenantId}/Policies/EnablePinRecovery`, 'EnablePinRecovery does not carry the tenant id');
    check(enable['@odata.type'] === '#microsoft.graph.omaSettingBoolean' && enable.value === true, 'EnablePinRecovery is not Boolean true');
    t.ok('EnablePinRecovery is an omaSettingBoolean = true with the tenant id in its path');

    t.heading('Enrol a device (device key, protector wrapped under the tenant key)');
    t.note("This device's own Windows Hello policy demands at least 10 characters (stricter than the tenant's 6).");
    await t.agent(['enroll', '--device-name', 'DEMO-PC-01', '--min-length', '10']);
    const mode = (await stat(statePath)).mode & 0o777;
    const state = JSON.parse(await readFile(statePath, 'utf8')) as AgentState;
    check(mode === 0o600, `the state file has mode ${mode.toString(8)}`);
    check(state.hello.protectedSecret?.split('.').length === 5, 'no protected secret (JWE) in the state');
    t.ok(`state file mode ${mode.toString(8)}; it holds the JWE and a SHA-256 of the protector, never the protector itself`);

    t.heading('dsregcmd-style status: CanReset');
    const status = await t.agent(['status']);
    check(/^\s+CanReset : DestructiveAndNonDestructive$/m.test(status.stdout), 'status did not show CanReset : DestructiveAndNonDestructive');
    t.ok('CanReset : DestructiveAndNonDestructive, reported to the service');

    t.heading('Non-destructive reset: MFA step-up through the claims challenge');
    t.note('Riley signed in without MFA: the service answers 401 MfaRequired with a claims challenge, the agent');
    t.note('signs in again with it (the authority insists on the MFA step), and retries once.');
    const reset = await t.agent(['reset'], EXIT.ok, { signIn: user });
    check(/claims challenge/.test(reset.stderr) && DEVICE_CODE_PROMPT.test(reset.stderr), 'the agent did not step up with the claims challenge');
    check(/Verified\s+: SHA-256 matches/.test(reset.stdout), 'the protector was not verified');
    t.ok('401 MfaRequired -> sign-in with the claims -> MFA -> retried once -> the service decrypted the protector; its SHA-256 matches; the buffer was wiped');

    t.heading('Rotate the tenant key: the old protector still works and is re-protected');
    await t.agent(['admin', 'keys', 'rotate', ...adminState]);
    const rotated = await t.agent(['reset', '--json']);
    const rotatedResult = JSON.parse(rotated.stdout) as { reprotectRecommended: boolean; reprotected: boolean; keyId: string; protectorKeyId: string };
    check(
      rotatedResult.reprotectRecommended && rotatedResult.reprotected && rotatedResult.protectorKeyId !== rotatedResult.keyId,
      'reprotectRecommended was not reported or not acted on',
    );
    t.ok(`reprotectRecommended: true -> re-wrapped under ${rotatedResult.protectorKeyId} (the recent MFA sign-in still counts: no new prompt)`);
    const again = JSON.parse((await t.agent(['reset', '--json'])).stdout) as { reprotectRecommended: boolean };
    check(again.reprotectRecommended === false, 'after re-protection the service still recommends re-protection');
    t.ok('next reset: reprotectRecommended: false');

    t.heading('Passcode reset: the field failure (InvalidPinTooFewCharacters) and its fix');
    const deviceId = (JSON.parse(await readFile(statePath, 'utf8')) as AgentState).device.id;
    await t.agent(['admin', 'reset-passcode', deviceId, ...adminState]);
    const refusedPoll = await t.agent(['poll'], EXIT.passcodeRefused);
    check(/InvalidPinTooFewCharacters/.test(refusedPoll.stdout), 'the device did not refuse the short passcode');
    const failed = await adminDevice(t, deviceId, adminState);
    const failedAction = failed.deviceActionResults?.[0];
    check(
      failedAction?.actionState === 'failed' && failedAction.errorName === 'InvalidPinTooFewCharacters' && failedAction.errorDescription,
      'the admin does not see failed + InvalidPinTooFewCharacters + a description',
    );
    t.ok('the admin sees failed with InvalidPinTooFewCharacters and what to change (not "pending" forever)');
    t.note("Fix: align the tenant's pinMinimumLength with the device policy.");
    await t.agent(['admin', 'settings', '--min-length', '10', ...adminState]);
    await t.agent(['admin', 'reset-passcode', deviceId, ...adminState]);
    await t.agent(['poll']);
    const done = await adminDevice(t, deviceId, adminState, 'Demo: Riley asked for the new passcode');
    const doneAction = [...(done.deviceActionResults ?? [])].find((action) => action.actionState === 'done');
    check(doneAction?.passcode && doneAction.passcode.length >= 10, 'the admin does not see the done action with a 10-character passcode');
    t.ok(`done; the admin sees the ${doneAction.passcode.length}-character passcode (shown for 7 days)`);

    t.heading('The audit trail');
    const audit = await t.agent(['admin', 'audit', '--top', '40', ...adminState]);
    for (const activity of ['onboardingCompleted', 'deviceEnrolled', 'protectorDecrypt', 'protectorKeyRotated', 'passcodeResetRequested', 'settingsUpdated']) {
      check(audit.stdout.includes(activity), `the audit trail has no ${activity}`);
    }
    t.ok('onboarding, enrolment, every decrypt attempt, key rotation, settings and passcode steps are recorded');

    t.heading('Sign out');
    await t.agent(['logout']);
    await t.agent(['logout', ...adminState]);
    await t.agent(['whoami'], EXIT.signInRequired);
    t.ok('the token caches are gone; the agent asks to sign in again');

    console.log(`\nAll ${t.steps} steps behaved as expected.`);
    return 0;
  } finally {
    await rm(stateDirectory, { recursive: true, force: true });
  }
}

/** The admin's view of the device; with a reason it reveals the passcodes (an audited reveal), without one it shows none. */
async function adminDevice(t: Transcript, deviceId: string, adminState: string[], revealReason?: string): Promise<ManagedDevice> {
  const reveal = revealReason ? ['--reason', revealReason] : [];
  await t.agent(['admin', 'devices', deviceId, ...reveal, ...adminState]);
  const run = await t.agent(['admin', 'devices', deviceId, '--json', ...reveal, ...adminState], EXIT.ok, { silent: true });
  const device = JSON.parse(run.stdout) as ManagedDevice;
  device.deviceActionResults?.sort((a, b) => (b.startDateTime ?? '').localeCompare(a.startDateTime ?? ''));
  return device;
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { url: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true });
  if (values.help) {
    console.log(
      [
        'Usage: npm run demo [-- --url <service url>]',
        '',
        'Runs the PIN reset story against the running `npm start` (--url, else PINRESET_URL, else',
        'http://localhost:$PORT with PORT defaulting to 7071), or starts a throwaway local host when none',
        'answers. Everyone signs in through the development authority (device code flow). Exits non-zero',
        'if any step misbehaves.',
      ].join('\n'),
    );
    return 0;
  }
  const requested = (values.url ?? process.env.PINRESET_URL ?? defaultServiceUrl(process.env)).replace(/\/+$/, '');
  let service: StartedService | undefined;
  let url = requested;
  if (await answersHealth(requested)) {
    console.log(`Using the running service at ${requested}.`);
  } else {
    console.log(`No PIN reset service answers at ${requested} (GET /health failed): is \`npm start\` running, on this PORT?`);
    console.log('Starting a throwaway local host of its own for this demo (development mode, temporary data, stopped at the end)...');
    service = await startService();
    url = service.url;
    console.log(`Started on ${url}.`);
  }
  try {
    return await story(url);
  } finally {
    await service?.stop();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`\n✗ Demo failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
