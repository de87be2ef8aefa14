import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/**
 * A real browser for the admin center's tests: Debian's Chromium driven by playwright-core
 * (Playwright's own browser download does not work everywhere, and is not needed). Found in this
 * order: CHROMIUM_PATH; an installed Chromium or Chrome; as root with apt, Debian's `chromium`
 * installed after saying so; otherwise the tests fail with the one command that installs it.
 */

export const INSTALL_COMMAND = 'sudo apt-get install -y chromium';
const CANDIDATES = ['chromium', 'chromium-browser', 'google-chrome-stable', 'google-chrome', 'chrome'];

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string): string | undefined {
  for (const directory of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!directory) continue;
    const candidate = path.join(directory, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function installedBrowser(): string | undefined {
  for (const name of CANDIDATES) {
    const found = onPath(name);
    if (found) return found;
  }
  return ['/usr/bin/chromium', '/usr/lib/chromium/chromium', '/opt/google/chrome/chrome'].find(isExecutable);
}

function canInstallWithApt(): boolean {
  return process.platform === 'linux' && typeof process.getuid === 'function' && process.getuid() === 0 && onPath('apt-get') !== undefined;
}

/** The browser executable, installing Debian's Chromium first when running as root with apt. */
export function findChromium(): string {
  const configured = process.env.CHROMIUM_PATH;
  if (configured) {
    if (!isExecutable(configured)) throw new Error(`CHROMIUM_PATH=${configured} is not an executable file.`);
    return configured;
  }
  const installed = installedBrowser();
  if (installed) return installed;
  if (canInstallWithApt()) {
    process.stderr.write("No Chromium or Chrome found: installing Debian's chromium for the admin center browser tests (apt-get install -y chromium)…\n");
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    const result = spawnSync('apt-get', ['install', '-y', '-qq', 'chromium'], { stdio: 'inherit', env });
    const found = installedBrowser();
    if (result.status === 0 && found) return found;
    throw new Error(`apt-get install -y chromium failed (exit ${result.status}). Install a browser with: ${INSTALL_COMMAND} (or set CHROMIUM_PATH).`);
  }
  throw new Error(`The admin center browser tests need Chromium. Install it with: ${INSTALL_COMMAND} (or set CHROMIUM_PATH to a Chromium or Chrome).`);
}

export function chromiumVersion(executable: string): string {
  try {
    return execFileSync(executable, ['--version'], { encoding: 'utf8', timeout: 20_000 }).trim();
  } catch {
    return 'unknown version';
  }
}

export interface RunningBrowser {
  browser: Browser;
  close(): Promise<void>;
}

/**
 * Headless Chromium with nothing that talks to the network by itself. Playwright gives every launch a
 * fresh temporary profile (`--user-data-dir`) of its own and deletes it on close.
 */
export async function launchChromium(): Promise<RunningBrowser> {
  const executablePath = findChromium();
  const browser = await chromium.launch({
    executablePath,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    browser,
    async close() {
      await browser.close();
    },
  };
}

/** Where screenshots go (git-ignored). */
export const SCREENSHOT_DIRECTORY = path.resolve('test-results', 'portal');

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIRECTORY, { recursive: true });
  const file = path.join(SCREENSHOT_DIRECTORY, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

const axeSource = (() => {
  let source: string | undefined;
  return () => (source ??= readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8'));
})();

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[]; failureSummary?: string }[];
}

/**
 * axe-core on the page as it is: its serious and critical violations. Evaluated through the
 * DevTools protocol, which the page's CSP does not govern (no inline script is injected).
 */
export async function seriousAxeViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(axeSource());
  const result = (await page.evaluate(`axe.run(document, { resultTypes: ['violations'] })`)) as { violations: AxeViolation[] };
  return result.violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical');
}

export function describeViolations(violations: AxeViolation[]): string {
  return violations
    .map(
      (violation) =>
        `${violation.id} (${violation.impact}): ${violation.help}\n${violation.nodes
          .slice(0, 5)
          .map((node) => `  ${JSON.stringify(node.target)} ${node.failureSummary ?? ''}`)
          .join('\n')}`,
    )
    .join('\n');
}

/** Console errors and CSP refusals seen by a page, for assertions. */
export function watchConsole(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' || /Content Security Policy|Refused to/i.test(message.text())) problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  return problems;
}

export type { Browser, BrowserContext, Page };
