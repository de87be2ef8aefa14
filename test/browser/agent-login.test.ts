import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { completeAuthorityPages, type DirectoryUser } from '../support/browser-login.js';
import { launchChromium, watchConsole, type Page, type RunningBrowser } from '../support/browser.js';
import { activateTenant } from '../support/active-tenant.js';
import { useLocalHost } from '../support/local-host.js';
import { useSimulatedMicrosoft } from '../support/microsoft.js';

/**
 * `pinreset-agent login` with a person in a real browser (Debian's Chromium through playwright-core):
 * the device code typed into the development authority's verification page, and `--browser`, whose
 * authorization code comes back to the agent's loopback listener on 127.0.0.1. The agent runs as a
 * process against this file's local host; then `reset` steps up to MFA the same way and succeeds.
 */
const host = useLocalHost();
useSimulatedMicrosoft();

const CLI = path.resolve('dist/cli/pinreset-agent.js');
const DEVICE_CODE_PROMPT = /open the page (\S+) and enter the code (\S+) to authenticate/;
const AUTHORIZE_URL = /^\s+(http\S+\/oauth2\/v2\.0\/authorize\?\S+)\n/m;

let running: RunningBrowser;
let tenantId: string;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the agent; `person` acts (once) on what it prints on stderr, as a user at the browser would. */
function agent(args: string[], env: Record<string, string>, person?: (stderr: string) => Promise<void> | undefined): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { PATH: process.env.PATH, PINRESET_URL: host.url, BROWSER: 'none', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let action: Promise<void> | undefined;
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (action) return;
      action = person?.(stderr);
      // Settled with the process below; until then a failure is not "unhandled".
      action?.catch(() => {});
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      Promise.resolve(action).then(() => resolve({ code: code ?? -1, stdout, stderr }), reject);
    });
  });
}

/** The verification page: type the code, then sign in (and approve MFA or consent) by what the pages show. */
async function enterDeviceCode(page: Page, verificationUri: string, userCode: string, user: DirectoryUser): Promise<string> {
  await page.goto(verificationUri);
  await page.getByLabel('Code').fill(userCode);
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Next', exact: true }).click()]);
  for (let step = 0; step < 6; step += 1) {
    const heading = (await page.locator('h1').first().textContent())?.trim() ?? '';
    if (heading !== 'Sign in' && heading !== 'Approve sign in request' && heading !== 'Permissions requested') return heading;
    if (heading === 'Sign in') {
      const existing = page.locator(`input[type="radio"][name="user"][data-upn="${user.userPrincipalName}"]`);
      if ((await existing.count()) > 0) {
        await existing.check();
      } else {
        await page.fill('#displayName', user.displayName);
        await page.fill('#userPrincipalName', user.userPrincipalName);
        if ((await page.locator('#tenantId').count()) > 0) await page.fill('#tenantId', user.tenantId);
        for (const role of user.roles) await page.getByLabel(role, { exact: true }).check();
      }
    }
    const name = heading === 'Sign in' ? 'Sign in' : heading === 'Approve sign in request' ? 'Approve' : 'Accept';
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name, exact: true }).click()]);
  }
  throw new Error(`The device code sign-in did not finish (at ${page.url()}).`);
}

function inBrowser(work: (page: Page) => Promise<void>): Promise<string[]> {
  return (async () => {
    const context = await running.browser.newContext();
    const page = await context.newPage();
    const problems = watchConsole(page);
    try {
      await work(page);
    } finally {
      await context.close();
    }
    return problems;
  })();
}

beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first (npm test does).`);
  running = await launchChromium();
  tenantId = await activateTenant();
}, 120_000);

afterAll(async () => {
  await running?.close();
});

describe('pinreset-agent login with a person in Chromium', () => {
  it('device code: the code typed into the verification page signs the agent in; reset then steps up to MFA in the browser and succeeds', async () => {
    const directory = await mkdtemp(path.join(tmpdir(), 'agent-browser-'));
    const env = { HOME: directory, PINRESET_AGENT_STATE: path.join(directory, 'agent', 'state.json') };
    const user: DirectoryUser = { displayName: 'Megan Bowen', userPrincipalName: `megan@${tenantId.slice(0, 8)}.example`, tenantId, roles: [] };
    const headings: string[] = [];
    const person = (stderr: string) => {
      const prompt = DEVICE_CODE_PROMPT.exec(stderr);
      if (!prompt?.[1] || !prompt[2]) return undefined;
      const [, uri, code] = prompt;
      return inBrowser(async (page) => void headings.push(await enterDeviceCode(page, uri, code, user))).then((problems) => expect(problems).toEqual([]));
    };
    const login = await agent(['login'], env, person);
    expect(login.code).toBe(0);
    expect(login.stdout).toContain(`Signed in as ${user.userPrincipalName} in tenant ${tenantId}.`);
    expect((await agent(['enroll'], env)).code).toBe(0);

    const reset = await agent(['reset'], env, person);
    expect(reset.stderr).toMatch(/requires a recent multi-factor sign-in/);
    expect(reset.code).toBe(0);
    expect(reset.stdout).toMatch(/Verified\s+: SHA-256 matches/);
    expect(headings).toEqual(['Signed in', 'Signed in']);
  }, 90_000);

  it("--browser: the authorization code comes back from Chromium to the agent's loopback listener on 127.0.0.1", async () => {
    const directory = await mkdtemp(path.join(tmpdir(), 'agent-browser-'));
    const env = { HOME: directory, PINRESET_AGENT_STATE: path.join(directory, 'agent', 'state.json') };
    const user: DirectoryUser = {
      displayName: 'Lynne Robbins',
      userPrincipalName: `lynne@${tenantId.slice(0, 8)}.example`,
      tenantId,
      roles: ['Global Administrator'],
    };
    let landing = '';
    const login = await agent(['login', '--browser', '--tenant', tenantId], env, (stderr) => {
      const url = AUTHORIZE_URL.exec(stderr)?.[1];
      if (!url) return undefined;
      return inBrowser(async (page) => {
        await page.goto(url);
        const redirectUri = new URL(url).searchParams.get('redirect_uri') ?? '';
        expect(redirectUri).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
        await completeAuthorityPages(page, user, redirectUri);
        await page.waitForLoadState('domcontentloaded');
        landing = (await page.locator('h1').first().textContent()) ?? '';
      }).then((problems) => expect(problems).toEqual([]));
    });
    expect(landing).toBe('Signed in');
    expect(login.code).toBe(0);
    expect(login.stdout).toContain(`Signed in as ${user.userPrincipalName} in tenant ${tenantId}.`);
    expect(login.stdout).toMatch(/Roles\s+: Global Administrator/);
    const whoami = JSON.parse((await agent(['whoami', '--json'], env)).stdout) as { method: string };
    expect(whoami.method).toBe('browser');
  }, 90_000);
});
