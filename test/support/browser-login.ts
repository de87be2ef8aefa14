import type { Page } from 'playwright-core';

/** A user of the development authority's simulated directory, as its sign-in page creates one. */
export interface DirectoryUser {
  displayName: string;
  userPrincipalName: string;
  tenantId: string;
  /** Directory role names as the sign-in page labels them, e.g. `Global Administrator`. */
  roles: readonly string[];
}

/**
 * Clicks through the development authority's pages in the browser (sign-in, MFA approval, consent,
 * the onboarding pages) the way an admin would, until the browser is back on a page whose URL starts
 * with `until`. Each page is recognised by what a person sees on it, not by internals.
 */
export async function completeAuthorityPages(
  page: Page,
  user: DirectoryUser,
  until: string,
  options: { mfa?: boolean; maxSteps?: number; done?: () => boolean } = {},
): Promise<void> {
  for (let step = 0; step < (options.maxSteps ?? 12); step += 1) {
    await page.waitForLoadState('domcontentloaded');
    if (page.url().startsWith(until) || options.done?.()) return;
    const existing = page.locator(`input[type="radio"][name="user"][data-upn="${user.userPrincipalName}"]`);
    if ((await existing.count()) > 0) {
      await existing.check();
      await submitSignIn(page, options.mfa);
      continue;
    }
    if ((await page.locator('#displayName').count()) > 0) {
      await page.fill('#displayName', user.displayName);
      await page.fill('#userPrincipalName', user.userPrincipalName);
      if ((await page.locator('#tenantId').count()) > 0) await page.fill('#tenantId', user.tenantId);
      for (const role of user.roles) await page.getByLabel(role, { exact: true }).check();
      await submitSignIn(page, options.mfa);
      continue;
    }
    const button = await firstVisible(page, ['Approve', 'Accept', 'Continue', 'Next']);
    if (button) {
      await Promise.all([page.waitForNavigation(), button.click()]);
      continue;
    }
    const link = page.locator(`a[href^="${until}"]`);
    if ((await link.count()) > 0) {
      await Promise.all([page.waitForNavigation(), link.first().click()]);
      continue;
    }
    // The end of onboarding: the caller goes on from the success page.
    if (/Onboarding succeeded/.test((await page.locator('h1').first().textContent()) ?? '')) return;
    // A page with nothing to do (e.g. "you may close this window"): wait for the caller's end condition.
    if (options.done) {
      for (let waited = 0; waited < 30_000 && !options.done(); waited += 200) await page.waitForTimeout(200);
      if (options.done()) return;
    }
    throw new Error(`Unexpected page at ${page.url()}:\n${(await page.locator('body').innerText()).slice(0, 1500)}`);
  }
  throw new Error(`Still not back at ${until} after the authority's pages (at ${page.url()}).`);
}

async function submitSignIn(page: Page, mfa: boolean | undefined): Promise<void> {
  const mfaBox = page.locator('#mfa');
  if (mfa && (await mfaBox.count()) > 0) await mfaBox.check();
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Sign in', exact: true }).click()]);
}

async function firstVisible(page: Page, names: readonly string[]) {
  for (const name of names) {
    const button = page.getByRole('button', { name, exact: true });
    if ((await button.count()) > 0 && (await button.first().isVisible())) return button.first();
  }
  return undefined;
}
