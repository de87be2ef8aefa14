import { ROLE_DISPLAY_NAMES } from '../config.js';
import { ADMINISTRATOR_APP_ROLE } from '../identity/authorization.js';
import { page } from '../http/onboarding-pages.js';
import { escapeHtml } from '../http/responses.js';
import type { SimulatedUser } from './simulated-directory.js';

/**
 * The development authority's HTML pages. Plain forms (no script, the CSP forbids it), one `<main>`,
 * a label for every control. Every form carries hidden `step` (which page it is) and, after the code
 * entry, `interaction` (the sign-in in progress), so a script can drive the pages as a browser would
 * (shared/dev/login-browser.ts).
 */

export const DIRECTORY_ROLES: readonly { id: string; name: string }[] = Object.entries(ROLE_DISPLAY_NAMES).map(([id, name]) => ({ id, name }));

const BANNER =
  '<p><small>Development mode: the simulated Microsoft Entra ID of this PIN reset service. No password is asked; every user here is made up.</small></p>';

function hidden(name: string, value: string): string {
  return `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`;
}

function errorLine(error: string | undefined): string {
  return error ? `<p class="problem" role="alert">${escapeHtml(error)}</p>` : '';
}

export function roleNames(user: Pick<SimulatedUser, 'directoryRoles' | 'appRoles'>): string[] {
  return [...user.directoryRoles.map((id) => DIRECTORY_ROLES.find((role) => role.id === id)?.name ?? id), ...user.appRoles];
}

function userLabel(user: SimulatedUser): string {
  const roles = roleNames(user);
  return `${user.displayName} (${user.userPrincipalName}), tenant ${user.tenantId}${roles.length ? `: ${roles.join(', ')}` : ': no admin role'}`;
}

export function authorityErrorPage(title: string, detail: string): string {
  return page(title, `<h1 class="problem">${escapeHtml(title)}</h1>\n<p>${escapeHtml(detail)}</p>\n${BANNER}`);
}

export function codeEntryPage(action: string, error?: string): string {
  return page(
    'Enter code',
    `<h1>Enter code</h1>
<p>Enter the code displayed on your app or device.</p>
${errorLine(error)}
<form method="post" action="${escapeHtml(action)}">
${hidden('step', 'code')}
<p><label for="otc">Code</label> <input id="otc" name="otc" required autocomplete="off" autocapitalize="characters" spellcheck="false"></p>
<p><button type="submit">Next</button></p>
</form>
${BANNER}`,
  );
}

export interface SignInPageModel {
  action: string;
  interactionId: string;
  appName: string;
  /** The tenant the sign-in is restricted to, or undefined for organizations/common. */
  tenantId: string | undefined;
  users: readonly SimulatedUser[];
  mfaRequired: boolean;
  error?: string;
  /** What the person typed and ticked before an error, shown again so that nothing has to be retyped. */
  entered?: URLSearchParams;
}

function enteredValue(entered: URLSearchParams | undefined, name: string): string {
  const value = entered?.get(name);
  return value ? ` value="${escapeHtml(value.slice(0, 256))}"` : '';
}

function checkedIf(entered: URLSearchParams | undefined, name: string, value: string): string {
  return entered?.getAll(name).includes(value) ? ' checked' : '';
}

export function signInPage(model: SignInPageModel): string {
  const existing =
    model.users.length === 0
      ? '<p>No user exists here yet: create one below.</p>'
      : `<fieldset><legend>Pick an account</legend>
${model.users.map((user, index) => `<p><input type="radio" id="user-${index}" name="user" value="${escapeHtml(user.id)}" data-upn="${escapeHtml(user.userPrincipalName)}"${checkedIf(model.entered, 'user', user.id)}> <label for="user-${index}">${escapeHtml(userLabel(user))}</label></p>`).join('\n')}
</fieldset>`;
  const tenantField = model.tenantId
    ? `<p>Tenant: <code>${escapeHtml(model.tenantId)}</code></p>`
    : `<p><label for="tenantId">Tenant id</label> <input id="tenantId" name="tenantId" size="36" placeholder="00000000-0000-4000-8000-000000000001"${enteredValue(model.entered, 'tenantId')}></p>`;
  const roles = DIRECTORY_ROLES.map(
    (role, index) =>
      `<p><input type="checkbox" id="role-${index}" name="directoryRoles" value="${escapeHtml(role.id)}"${checkedIf(model.entered, 'directoryRoles', role.id)}> <label for="role-${index}">${escapeHtml(role.name)}</label></p>`,
  ).join('\n');
  const mfa = model.mfaRequired
    ? '<p>This application requires multi-factor authentication: you will be asked to approve a sign-in request next.</p>'
    : `<p><input type="checkbox" id="mfa" name="mfa" value="on"${checkedIf(model.entered, 'mfa', 'on')}> <label for="mfa">Also complete multi-factor authentication now</label></p>`;
  return page(
    'Sign in',
    `<h1>Sign in</h1>
<p>to continue to <strong>${escapeHtml(model.appName)}</strong></p>
${errorLine(model.error)}
<form method="post" action="${escapeHtml(model.action)}">
${hidden('step', 'signin')}
${hidden('interaction', model.interactionId)}
${existing}
<fieldset><legend>${model.users.length === 0 ? 'Create' : 'Or create'} a user of the simulated directory</legend>
<p><label for="displayName">Name</label> <input id="displayName" name="displayName" placeholder="Adele Vance"${enteredValue(model.entered, 'displayName')}></p>
<p><label for="userPrincipalName">User principal name</label> <input id="userPrincipalName" name="userPrincipalName" size="36" placeholder="adele@contoso.onmicrosoft.com"${enteredValue(model.entered, 'userPrincipalName')}></p>
${tenantField}
<fieldset><legend>Directory roles</legend>
${roles}
<p><input type="checkbox" id="appRole" name="appRoles" value="${ADMINISTRATOR_APP_ROLE}"${checkedIf(model.entered, 'appRoles', ADMINISTRATOR_APP_ROLE)}> <label for="appRole">${ADMINISTRATOR_APP_ROLE} (app role of the PIN reset service)</label></p>
</fieldset>
</fieldset>
${mfa}
<p><button type="submit" name="action" value="signin">Sign in</button> <button type="submit" name="action" value="cancel">Cancel</button></p>
</form>
${BANNER}`,
  );
}

export function mfaPage(action: string, interactionId: string, user: SimulatedUser): string {
  return page(
    'Approve sign in request',
    `<h1>Approve sign in request</h1>
<p>Signed in as <strong>${escapeHtml(user.displayName)}</strong> (${escapeHtml(user.userPrincipalName)}).</p>
<p>Multi-factor authentication: approve the request as you would in Microsoft Authenticator.</p>
<form method="post" action="${escapeHtml(action)}">
${hidden('step', 'mfa')}
${hidden('interaction', interactionId)}
<p><button type="submit" name="decision" value="approve">Approve</button> <button type="submit" name="decision" value="deny">Deny</button></p>
</form>
${BANNER}`,
  );
}

export function userConsentPage(action: string, interactionId: string, user: SimulatedUser, appName: string, scopes: readonly string[]): string {
  return page(
    'Permissions requested',
    `<h1>Permissions requested</h1>
<p>Signed in as <strong>${escapeHtml(user.displayName)}</strong> (${escapeHtml(user.userPrincipalName)}).</p>
<p><strong>${escapeHtml(appName)}</strong> is not yet consented in your organization. It asks, for you only:</p>
<ul>${scopes.map((scope) => `<li><code>${escapeHtml(scope)}</code></li>`).join('')}</ul>
<form method="post" action="${escapeHtml(action)}">
${hidden('step', 'consent')}
${hidden('interaction', interactionId)}
<p><button type="submit" name="decision" value="accept">Accept</button> <button type="submit" name="decision" value="cancel">Cancel</button></p>
</form>
${BANNER}`,
  );
}

export function deviceResultPage(appName: string, user: SimulatedUser | undefined, approved: boolean): string {
  if (!approved) {
    return page(
      'Sign-in declined',
      `<h1 class="problem">Sign-in declined</h1>
<p>You declined to sign in to <strong>${escapeHtml(appName)}</strong> on your device. You may now close this window.</p>
${BANNER}`,
    );
  }
  return page(
    'Signed in',
    `<h1 class="ok">Signed in</h1>
<p>${user ? `<strong>${escapeHtml(user.displayName)}</strong> (${escapeHtml(user.userPrincipalName)}) signed in` : 'You signed in'} to
<strong>${escapeHtml(appName)}</strong> on your device. You may now close this window.</p>
${BANNER}`,
  );
}
