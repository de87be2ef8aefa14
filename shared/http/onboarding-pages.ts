import type { ApplicationConsent } from '../domain/tenant.js';
import { escapeHtml } from './responses.js';
import type { OnboardingOutcome } from '../services/onboarding.js';
import type { OnboardingAdmin } from '../storage/onboarding-state-repository.js';

/** The HTML pages of onboarding. Every value that came from a request or a directory is escaped. */

const STYLE =
  'body{font-family:system-ui,sans-serif;max-width:46rem;margin:3rem auto;padding:0 1rem;line-height:1.5}' +
  'table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}' +
  '.ok{color:#0a6b2d}.problem{color:#a4262c}code{background:#f3f3f3;padding:0 .2rem;overflow-wrap:anywhere}' +
  // A fieldset is as wide as its longest word by default: a long user principal name pushed it past the page.
  'fieldset{min-width:0}label{overflow-wrap:anywhere}' +
  // A phone (390 px) cannot hold four columns of GUIDs: each row becomes a card of labelled lines.
  '@media (max-width:40rem){body{margin:1rem auto}table,tbody,tr,td{display:block}thead{display:none}' +
  'tr{border:1px solid #ccc;margin:0 0 .8rem}td{border:0;padding:.2rem .6rem}' +
  'td::before{content:attr(data-label) ": ";font-weight:600}}';

export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} – PIN reset service</title><style>${STYLE}</style></head>
<body><main>
${body}
</main></body></html>
`;
}

export function startFormPage(): string {
  return page(
    'Onboard a tenant',
    `<h1>Onboard a tenant to the PIN reset service</h1>
<p>First you sign in as an administrator of the tenant (Global Administrator, Application Administrator or another
configured admin role). Then you grant admin consent to two applications: the PIN reset service and the PIN reset client.</p>
<form method="get" action="/onboarding/start">
<label>Tenant id or verified domain <input name="tenant" required placeholder="contoso.onmicrosoft.com"></label>
<button type="submit">Start</button>
</form>`,
  );
}

export function restartLink(baseUrl: string, tenant: string | undefined): string {
  const url = new URL(`${baseUrl}/onboarding/start`);
  if (tenant) url.searchParams.set('tenant', tenant);
  return url.toString();
}

/** "Signed in as …": every page after the sign-in names who is signed in. */
function signedInLine(admin: OnboardingAdmin | undefined): string {
  if (!admin) return '';
  const name = admin.displayName ?? admin.userPrincipalName ?? admin.objectId;
  const upn = admin.userPrincipalName && admin.userPrincipalName !== name ? ` (${admin.userPrincipalName})` : '';
  return `<p class="signed-in">Signed in as <strong>${escapeHtml(name)}</strong>${escapeHtml(upn)}.</p>`;
}

export function problemPage(outcome: Extract<OnboardingOutcome, { kind: 'problem' }>, baseUrl: string): string {
  const code = outcome.code ? `<p>Failure code: <code>${escapeHtml(outcome.code)}</code></p>` : '';
  const roles = outcome.requiredRoles?.length
    ? `<p>Roles that may onboard the tenant:</p>\n<ul>${outcome.requiredRoles.map((role) => `<li>${escapeHtml(role)}</li>`).join('')}</ul>`
    : '';
  return page(
    outcome.title,
    `<h1 class="problem">${escapeHtml(outcome.title)}</h1>
${signedInLine(outcome.signedIn)}
<p>${escapeHtml(outcome.detail)}</p>
${roles}
${code}
<p><a href="${escapeHtml(restartLink(baseUrl, outcome.restartTenant))}">Start onboarding again</a></p>`,
  );
}

const APPLICATION_COLUMNS = ['Application', 'Display name', 'Application (client) id', 'Service principal id'] as const;

function applicationRow(label: string, app: ApplicationConsent): string {
  const [application, displayName, appId, servicePrincipal] = APPLICATION_COLUMNS;
  return (
    `<tr><td data-label="${application}">${escapeHtml(label)}</td><td data-label="${displayName}">${escapeHtml(app.displayName ?? '')}</td>` +
    `<td data-label="${appId}"><code>${escapeHtml(app.appId)}</code></td>` +
    `<td data-label="${servicePrincipal}"><code class="sp">${escapeHtml(app.servicePrincipalId ?? '')}</code></td></tr>`
  );
}

export function successPage(outcome: Extract<OnboardingOutcome, { kind: 'success' }>, baseUrl: string): string {
  const { tenant } = outcome;
  const name = tenant.displayName ? `${tenant.displayName} (${tenant.tenantId})` : tenant.tenantId;
  const portal = `${baseUrl}/portal/`;
  return page(
    'Onboarding succeeded',
    `<h1 class="ok">Onboarding succeeded</h1>
${signedInLine(outcome.signedIn)}
<p>The tenant <strong>${escapeHtml(name)}</strong> is onboarded to the PIN reset service. Microsoft Graph confirms that both
applications have a service principal (enterprise application) in the tenant:</p>
<table>
<thead><tr>${APPLICATION_COLUMNS.map((column) => `<th>${column}</th>`).join('')}</tr></thead>
<tbody>
${applicationRow('PIN reset service', tenant.serviceApplication)}
${applicationRow('PIN reset client', tenant.clientApplication)}
</tbody>
</table>
<h2>Next step: review the PIN complexity settings first, then deploy the client policy</h2>
<p>Review the PIN complexity settings first: the policy devices receive is built from them, and a device whose own PIN
policy is stricter than the tenant's cannot finish a passcode reset. Open the admin center at
<a href="${escapeHtml(portal)}">${escapeHtml(portal)}</a>, or use the CLI:</p>
<pre><code>pinreset-agent login
pinreset-agent admin settings
pinreset-agent admin policy</code></pre>
<p>Then deploy the client policy so that devices use PIN recovery with this tenant: the ready-made policy is at
<code>GET ${escapeHtml(outcome.policyUrl)}</code> (an admin access token for this service is required); POST its body
unchanged to Microsoft Graph <code>deviceManagement/deviceConfigurations</code>, or set the Group Policy equivalents named in
its description. Then assign the profile to your devices.</p>`,
  );
}
