import { writeFile } from 'node:fs/promises';
import { AUDIT_ACTIVITIES } from '../../shared/contract/audit.js';
import { CLOUD_HOSTS } from '../../shared/config.js';
import { isGuid } from '../../shared/domain/tenant.js';
import { omaValueText } from '../../shared/services/client-policy.js';
import { GraphApiError } from '../client/errors.js';
import { walkOnboarding } from '../client/onboarding.js';
import type { AuditEvent, DeviceActionResult, ManagedDeviceSelection, OnboardingStatus, PinRecoveryPolicy, TenantSettingsPatch } from '../client/types.js';
import { choiceOption, integerOption, stringOption, UsageError, type OptionDefs } from './args.js';
import type { CommandDef } from './command.js';
import { confirmTyped, YES_OPTION } from './confirm.js';
import type { AcquiredToken, CommandContext } from './context.js';
import { EXIT } from './exit-codes.js';
import { heading, table, wrapText } from './format.js';
import { PIN_COMPLEXITY_OPTIONS, pinComplexityFromOptions } from './pin-complexity-options.js';

const TENANT_OPTION = {
  tenant: {
    type: 'string' as const,
    valueName: '<tid>',
    description: "Tenant id (env PINRESET_TENANT): the admin's token's tenant, which the service acts on; another one is refused.",
  },
};

/** `pinreset-agent admin <name>`: every admin command takes --tenant (listed first). */
function adminCommand(name: string | readonly string[], def: Omit<CommandDef, 'path' | 'options'> & { options?: OptionDefs }): CommandDef {
  return { ...def, path: ['admin', ...(typeof name === 'string' ? [name] : name)], options: { ...TENANT_OPTION, ...def.options } };
}

function describeOnboarding(status: OnboardingStatus): string {
  const app = (label: string, application: OnboardingStatus['serviceApplication']) =>
    `${label.padEnd(20)}: ${application.consented ? `consented ${application.consentedDateTime ?? ''}`.trim() : 'not consented'} (appId ${application.appId}, service principal ${application.servicePrincipalId ?? '-'})`;
  return [
    `state               : ${status.state}${status.failure ? ` (${status.failure.code}: ${status.failure.message})` : ''}`,
    app('service app', status.serviceApplication),
    app('client app', status.clientApplication),
    `last verified       : ${status.lastVerifiedDateTime ?? '-'}`,
  ].join('\n');
}

const TOKEN_SOURCES: Record<AcquiredToken['source'], string> = {
  option: 'the token passed with --token',
  environment: 'the token in PINRESET_ADMIN_TOKEN',
  signIn: "the signed-in user's token",
};

/**
 * The admin's client, credential and tenant. The service acts on the token's tenant only (docs/api.md),
 * so a tenant named with --tenant or PINRESET_TENANT that is not the token's is refused here, before
 * anything is sent, instead of silently acting on another tenant than the one the admin wrote.
 */
async function admin(context: CommandContext) {
  const state = await context.tryLoadState();
  const token = await context.adminToken();
  refuseOtherTenant(context, token);
  return { client: context.client(state), credential: token.credential, tenantId: token.claims.tid };
}

function refuseOtherTenant(context: CommandContext, token: AcquiredToken): void {
  const tenantId = token.claims.tid;
  const named = context.namedTenant();
  if (!named || !isGuid(named.tenant) || named.tenant === tenantId?.toLowerCase()) return;
  throw new UsageError(
    `${named.namedBy} names tenant ${named.tenant}, but ${TOKEN_SOURCES[token.source]} is for tenant ${tenantId ?? '(none)'}: admin commands act on the tenant of the token. ` +
      `Sign in to tenant ${named.tenant} (pinreset-agent login --tenant ${named.tenant}) or pass a token of it with --token, or leave ${named.namedBy} out.`,
  );
}

function latestAction(device: ManagedDeviceSelection): DeviceActionResult | undefined {
  return [...(device.deviceActionResults ?? [])].sort((a, b) => (b.startDateTime ?? '').localeCompare(a.startDateTime ?? ''))[0];
}

function describeAction(action: DeviceActionResult): string[] {
  const lines = [
    `${action.actionName} ${action.id}: ${action.actionState} (started ${action.startDateTime ?? '-'}, updated ${action.lastUpdatedDateTime ?? '-'})`,
  ];
  if (action.passcode) lines.push(`  passcode         : ${action.passcode}`);
  if (action.errorName) lines.push(`  errorCode        : ${action.errorCode} (${action.errorName})`);
  if (action.errorDescription) lines.push(`  errorDescription : ${action.errorDescription}`);
  return lines;
}

function describeDevice(device: ManagedDeviceSelection): string {
  return [
    heading(`${device.deviceName ?? device.id}`, '-'),
    `id                     : ${device.id}`,
    `azureADDeviceId        : ${device.azureADDeviceId ?? '-'}`,
    `joinType               : ${device.joinType ?? '-'} (${device.managedDeviceOwnerType ?? '-'})`,
    `userPrincipalName      : ${device.userPrincipalName ?? '-'}`,
    `canReset               : ${device.canReset ?? '-'}`,
    `enrolled / last sync   : ${device.enrolledDateTime ?? '-'} / ${device.lastSyncDateTime ?? '-'}`,
    'deviceActionResults    :',
    ...(device.deviceActionResults?.length ? device.deviceActionResults.flatMap(describeAction).map((line) => `  ${line}`) : ['  (none)']),
  ].join('\n');
}

const onboard = adminCommand('onboard', {
  maxPositionals: 0,
  summary: 'Development mode: onboard a tenant as a browser would: sign in as an administrator, then both consent pages.',
  description:
    "GET /onboarding/start?tenant=..., sign in on the development authority as a Global Administrator of the tenant, Accept on the service app's and the client app's consent pages, then checks the onboarding status.",
  options: {
    cancel: { type: 'boolean', description: 'Press Cancel on the first consent page instead of Accept.' },
  },
  async run(context) {
    const state = await context.tryLoadState();
    // A token of another tenant is refused before the walk (the status read after it would not be the
    // named tenant's); without a token yet the walk still runs, and reading the status asks to sign in.
    const early = await context.adminToken().catch(() => undefined);
    // Without --tenant: the enrolled device's tenant, else the tenant the admin signed in to.
    const tenant = context.tenantId(state) ?? early?.claims.tid?.toLowerCase();
    if (!tenant) {
      throw new UsageError(
        'Which tenant? Pass --tenant <tenant id or domain> (in development mode any GUID is a tenant, e.g. --tenant 00000000-0000-4000-8000-000000000001), or sign in first (pinreset-agent login) to onboard the tenant you signed in to.',
        'admin onboard',
      );
    }
    if (early) refuseOtherTenant(context, early);
    const walk = await walkOnboarding({ baseUrl: context.serviceUrl(state), tenant, decisions: context.values.cancel === true ? ['cancel'] : [] });
    for (const step of walk.steps)
      context.say(
        `  ${step.method.padEnd(4)} ${step.status} ${step.url.length > 110 ? `${step.url.slice(0, 107)}...` : step.url}${step.consentFor ? '   <- consent page: Accept' : ''}`,
      );
    context.say('');
    context.say(
      walk.finalText
        .split('\n')
        .map((line) => `  | ${line}`)
        .join('\n'),
    );
    const { client, credential, tenantId } = await admin(context);
    const status = await client.onboardingStatus(credential, tenantId);
    context.emit({ tenantId, state: status.state, consentPages: walk.consentPages, finalStatus: walk.finalStatus, onboarding: status, page: walk.finalText });
    context.say('');
    context.say(`Onboarding state: ${status.state}${status.failure ? ` (${status.failure.code}: ${status.failure.message})` : ''}`);
    return status.state === 'active' ? EXIT.ok : EXIT.serviceError;
  },
});

/** Where the Intune profile is POSTed, in the tenant's cloud. */
function deviceConfigurationsUrl(cloud: keyof typeof CLOUD_HOSTS): string {
  return `https://${CLOUD_HOSTS[cloud].graphHost}/v1.0/deviceManagement/deviceConfigurations`;
}

const GPO_ROOT = 'Computer Configuration > Administrative Templates > ';

/** "Group Policy: Computer Configuration > … = Enabled." → "Windows Components > … = Enabled."; a note stays as it is. */
function groupPolicyOf(description: string): string {
  const match = /Group Policy:\s*(.*)$/s.exec(description);
  return (match?.[1] ?? description).trim().replace(GPO_ROOT, '');
}

function describePolicy(body: PinRecoveryPolicy): string {
  const rows = body.omaSettings.map((setting) => [
    setting.omaUri.split('/').slice(-2).join('/'),
    omaValueText(setting.omaUri, setting.value),
    groupPolicyOf(setting.description),
  ]);
  return table(['Intune setting (OMA-URI)', 'value', `Group Policy (${GPO_ROOT.trim()})`], rows, { maxWidths: { 2: 80 } });
}

const policy = adminCommand('policy', {
  maxPositionals: 0,
  summary: 'The client policy to deploy: a table of its settings with their Group Policy equivalents, and how to POST it to Graph.',
  description: [
    'GET /v1.0/organization/{tid}/pinRecoveryPolicy: an Intune custom profile (windows10CustomConfiguration)',
    "for Windows' PassportForWork settings (EnablePinRecovery, PIN complexity), which you POST unchanged to",
    'Microsoft Graph deviceManagement/deviceConfigurations. --out saves the body to a file; --json prints it.',
  ].join('\n'),
  options: {
    out: { type: 'string', valueName: '<file>', description: 'Write the profile body (JSON, POSTable as is) to this file.' },
  },
  examples: ['pinreset-agent admin policy --out pin-recovery-policy.json'],
  async run(context) {
    const { client, credential, tenantId } = await admin(context);
    const body = await client.recoveryPolicy(credential, tenantId);
    const [status, settings] = await Promise.all([
      client.onboardingStatus(credential, tenantId).catch(() => undefined),
      client.settings(credential, tenantId).catch(() => undefined),
    ]);
    const out = stringOption(context.values, 'out');
    if (out) await writeFile(out, `${JSON.stringify(body, null, 2)}\n`);
    context.emit(body);
    if (status && status.state !== 'active') {
      context.warn(
        `warning: tenant ${tenantId} is not onboarded (state ${status.state}): devices cannot use this service until an admin onboards it (pinreset-agent admin onboard --tenant ${tenantId}, or ${context.serviceUrl()}/onboarding/start?tenant=${tenantId}).`,
      );
    }
    context.say(heading(body.displayName));
    context.say(wrapText(body.description, 100).join('\n'));
    context.say('');
    context.say(describePolicy(body));
    context.say('');
    const file = out ?? 'pin-recovery-policy.json';
    if (!out) context.say(`Save the body with --out ${file} (or --json > ${file}), then POST it to Graph as an Intune administrator:`);
    else context.say(`Saved to ${out}. POST it to Graph as an Intune administrator:`);
    context.say(
      `  az rest --method POST --url ${deviceConfigurationsUrl(settings?.cloud ?? 'public')} --headers Content-Type=application/json --body @${file}`,
    );
    context.say('Then assign the profile to your devices in Intune (device scope).');
    return EXIT.ok;
  },
});

const settings = adminCommand('settings', {
  maxPositionals: 0,
  summary: "Show the tenant's pinResetSettings, or change them (PATCH) with the options below.",
  options: {
    ...PIN_COMPLEXITY_OPTIONS,
    'web-sign-in-urls': { type: 'string', valueName: '<a,b>', description: 'webSignInAllowedUrls (comma-separated host names; empty to clear).' },
    cloud: { type: 'string', valueName: '<cloud>', description: 'public | usGovernment | china.' },
    'rotation-days': { type: 'string', valueName: '<n>', description: 'protectorKeyRotationDays.' },
  },
  examples: ['pinreset-agent admin settings --min-length 7'],
  async run(context) {
    const { values } = context;
    const patch: TenantSettingsPatch = {};
    // The service validates the ranges and names the field that is out of range.
    const complexity = pinComplexityFromOptions(values);
    if (Object.keys(complexity).length > 0) patch.pinComplexity = complexity;
    const urls = stringOption(values, 'web-sign-in-urls');
    if (urls !== undefined)
      patch.webSignInAllowedUrls = urls
        .split(',')
        .map((url) => url.trim())
        .filter(Boolean);
    const cloud = choiceOption(values, 'cloud', ['public', 'usGovernment', 'china'] as const);
    if (cloud) patch.cloud = cloud;
    const days = integerOption(values, 'rotation-days');
    if (days !== undefined) patch.protectorKeyRotationDays = days;

    const { client, credential, tenantId } = await admin(context);
    const changing = Object.keys(patch).length > 0;
    const result = changing ? await client.updateSettings(credential, tenantId, patch) : await client.settings(credential, tenantId);
    context.emit(result);
    if (changing) context.say(`PATCH pinResetSettings ${JSON.stringify(patch)}`);
    context.say(JSON.stringify(result, null, 2));
    return EXIT.ok;
  },
});

const keys = adminCommand('keys', {
  args: '[rotate | retire <kid>]',
  maxPositionals: 2,
  summary: "List the tenant's protector key versions, rotate the key, or retire a version (asks to confirm).",
  options: { ...YES_OPTION },
  async run(context) {
    const [action, kid] = context.positionals;
    if (action !== undefined && action !== 'rotate' && action !== 'retire')
      throw new UsageError(`Unknown keys action '${action}' (rotate | retire <kid>).`, 'admin keys');
    if (action === 'retire' && !kid) throw new UsageError('admin keys retire needs the <kid> to retire.', 'admin keys');
    const { client, credential, tenantId } = await admin(context);
    if (action === 'rotate') {
      await client.rotateProtectorKey(credential, tenantId);
      context.say('Rotated: a new active key; the previous one is decryptOnly.');
    } else if (action === 'retire' && kid) {
      const version = (await client.protectorKeyVersions(credential, tenantId)).find((candidate) => candidate.kid === kid);
      const deviceCount = version?.deviceCount;
      const holders =
        typeof deviceCount === 'number'
          ? `${deviceCount} device${deviceCount === 1 ? '' : 's'} still hold${deviceCount === 1 ? 's' : ''} a protector under it; ${deviceCount === 0 ? 'none' : 'they'} will need a destructive reset (or to re-protect first).`
          : 'Devices whose protector is under it will need a destructive reset.';
      await confirmTyped(context, {
        what: `Retiring key ${kid}${version ? ` (${version.state})` : ''} is final: protectors under it can no longer be decrypted. ${holders}`,
        expected: 'retire',
      });
      await client.retireProtectorKey(credential, tenantId, kid);
      context.say(`Retired ${kid}: protectors under it can no longer be decrypted.`);
    }
    const versions = await client.protectorKeyVersions(credential, tenantId);
    context.emit({ tenantId, versions });
    context.say(
      table(
        ['kid', 'state', 'createdDateTime', 'devices'],
        versions.map((v) => [v.kid, v.state, v.createdDateTime, v.deviceCount]),
      ),
    );
    return EXIT.ok;
  },
});

/** The properties describeDevice shows, without deviceActionResults: read that way, the device read is no reveal. */
const DEVICE_FACTS = [
  'id',
  'deviceName',
  'azureADDeviceId',
  'joinType',
  'managedDeviceOwnerType',
  'userPrincipalName',
  'canReset',
  'enrolledDateTime',
  'lastSyncDateTime',
] as const;

/** A device with its action history but no passcode: the device read selects no actions, and the action list never carries a passcode. */
async function deviceWithoutPasscodes({ client, credential }: Awaited<ReturnType<typeof admin>>, deviceId: string): Promise<ManagedDeviceSelection> {
  const device = await client.managedDevice(credential, deviceId, { select: DEVICE_FACTS });
  return { ...device, deviceActionResults: await client.deviceActionResults(credential, deviceId) };
}

const devices = adminCommand('devices', {
  args: '[deviceId]',
  maxPositionals: 1,
  summary: "List the tenant's managed devices, or show one with its deviceActionResults.",
  options: {
    filter: { type: 'string', valueName: '<odata>', description: 'OData $filter, e.g. "joinType eq \'azureADRegistered\'".' },
    top: { type: 'string', valueName: '<n>', description: 'Page size ($top).' },
    reason: {
      type: 'string',
      valueName: '<text>',
      description:
        "With a deviceId: reveal the device's passcodes (those of the last 7 days) and say why. Each one shown is audited as passcodeRevealed with this reason, and the device's user sees it. Without --reason no passcode is read.",
    },
  },
  async run(context) {
    const [deviceId] = context.positionals;
    const session = await admin(context);
    const { client, credential } = session;
    if (deviceId) {
      const reason = stringOption(context.values, 'reason');
      const device = reason ? await client.managedDevice(credential, deviceId, { revealReason: reason }) : await deviceWithoutPasscodes(session, deviceId);
      context.emit(device);
      context.say(describeDevice(device));
      const hidden = !reason && device.deviceActionResults?.some((action) => action.actionState !== 'failed' && action.actionState !== 'canceled');
      if (hidden)
        context.say(
          `\nPasscodes are not shown. To reveal them (audited, and the device's user sees it): pinreset-agent admin devices ${deviceId} --reason "<why>"`,
        );
      return EXIT.ok;
    }
    const top = integerOption(context.values, 'top', { min: 1, max: 999 });
    const filter = stringOption(context.values, 'filter');
    const list = await client.managedDevices(credential, { ...(top ? { top } : {}), ...(filter ? { filter } : {}), all: top === undefined });
    context.emit(list);
    context.say(
      table(
        ['id', 'deviceName', 'joinType', 'canReset', 'lastSyncDateTime', 'last action'],
        list.map((device) => {
          const action = latestAction(device);
          return [
            device.id,
            device.deviceName,
            device.joinType,
            device.canReset,
            device.lastSyncDateTime,
            action ? `${action.actionName} ${action.actionState}${action.errorName ? ` ${action.errorName}` : ''}` : undefined,
          ];
        }),
      ),
    );
    return EXIT.ok;
  },
});

/** Reading the device back after a reset shows the new passcode: an audited reveal, with this reason by default. */
const RESET_REVEAL_REASON = 'Passcode reset requested with pinreset-agent admin reset-passcode';

const resetPasscode = adminCommand('reset-passcode', {
  args: '[deviceId]',
  maxPositionals: 1,
  summary: 'Request a passcode reset for a managed device (as Intune: Devices > device > Reset passcode).',
  description: 'deviceId: a managed device id from `pinreset-agent admin devices`; default: the device enrolled with this state file.',
  options: {
    'idempotency-key': { type: 'string', valueName: '<key>', description: 'Idempotency-Key header (a retry with the same key is not a second request).' },
    reason: {
      type: 'string',
      valueName: '<text>',
      description: `Why the new passcode is shown to you (audited as passcodeRevealed; default: "${RESET_REVEAL_REASON}").`,
    },
  },
  async run(context) {
    const { client, credential } = await admin(context);
    const deviceId = context.positionals[0] ?? (await context.tryLoadState())?.device.id;
    if (!deviceId) throw new UsageError('Which device? Pass a managed device id (see: pinreset-agent admin devices), or enrol this device first.');
    try {
      await client.resetPasscode(credential, deviceId, stringOption(context.values, 'idempotency-key'));
    } catch (error) {
      if (error instanceof GraphApiError && error.status === 409) {
        // The action list, not the single-device read: that one would reveal (and audit) the passcode.
        const actions = await client.deviceActionResults(credential, deviceId).catch(() => []);
        const open = actions.find((candidate) => candidate.actionState === 'pending' || candidate.actionState === 'active');
        if (open) {
          throw new GraphApiError({
            ...error,
            requestId: error.requestId,
            message: `${error.message}\nThe open action is ${open.id} (${open.actionState}, started ${open.startDateTime ?? '-'}). Wait for the device to report it (pinreset-agent poll on the device), or cancel it:\n  pinreset-agent admin cancel ${deviceId} ${open.id}`,
          });
        }
      }
      throw error;
    }
    const device = await client.managedDevice(credential, deviceId, { revealReason: stringOption(context.values, 'reason') ?? RESET_REVEAL_REASON });
    const action = latestAction(device);
    context.emit({ deviceId, action: action ?? null });
    context.say(`Passcode reset requested for ${device.deviceName ?? deviceId}.`);
    if (action) context.say(describeAction(action).join('\n'));
    return EXIT.ok;
  },
});

const cancel = adminCommand('cancel', {
  args: '<deviceId> <actionId>',
  minPositionals: 2,
  maxPositionals: 2,
  summary: 'Cancel a pending or active device action.',
  async run(context) {
    const [deviceId = '', actionId = ''] = context.positionals;
    const { client, credential } = await admin(context);
    await client.cancelDeviceAction(credential, deviceId, actionId);
    context.emit({ deviceId, actionId, actionState: 'canceled' });
    context.say(`Action ${actionId} canceled.`);
    return EXIT.ok;
  },
});

/** Who did it, as the admin center shows it: a user's UPN (else its name, else its object id), a device's or app's name or id. */
function initiator(event: AuditEvent): string {
  const [kind, who] = Object.entries(event.initiatedBy)[0] ?? [];
  return kind && who ? `${kind} ${who.userPrincipalName ?? who.displayName ?? who.id}` : '-';
}

const audit = adminCommand('audit', {
  maxPositionals: 0,
  summary: "Print the tenant's PIN reset audit trail, newest first.",
  options: {
    top: { type: 'string', valueName: '<n>', description: 'At most this many events (default 50).' },
    activity: { type: 'string', valueName: '<name>', description: `Only this activity ($filter=activity eq '...'), one of: ${AUDIT_ACTIVITIES.join(', ')}.` },
    since: { type: 'string', valueName: '<iso>', description: 'Only events at or after this time ($filter=activityDateTime ge ...).' },
  },
  async run(context) {
    const top = integerOption(context.values, 'top', { min: 1, max: 999 }) ?? 50;
    const filters: string[] = [];
    const activity = choiceOption(context.values, 'activity', AUDIT_ACTIVITIES);
    const since = stringOption(context.values, 'since');
    if (activity) filters.push(`activity eq '${activity.replace(/'/g, "''")}'`);
    if (since) {
      if (Number.isNaN(Date.parse(since))) throw new UsageError(`--since must be an ISO-8601 time (got '${since}').`, 'admin audit');
      filters.push(`activityDateTime ge ${new Date(since).toISOString()}`);
    }
    const { client, credential } = await admin(context);
    const events = await client.auditEvents(credential, { top, ...(filters.length ? { filter: filters.join(' and ') } : {}) });
    context.emit(events);
    context.say(
      table(
        ['activityDateTime', 'activity', 'result', 'resultReason', 'initiatedBy'],
        events.map((event) => [event.activityDateTime, event.activity, event.result, event.resultReason, initiator(event)]),
        { maxWidths: { 3: 60 } },
      ),
    );
    return EXIT.ok;
  },
});

const onboarding = adminCommand('onboarding', {
  args: '[status | verify | offboard]',
  maxPositionals: 1,
  summary: "The tenant's onboarding: show it (status), re-check both apps in Entra ID (verify), or offboard (asks to confirm).",
  description: [
    'status   GET  /v1.0/organization/{tid}/pinResetOnboarding',
    'verify   POST .../pinResetOnboarding/verify: checks both service principals in Microsoft Graph now.',
    "offboard DELETE .../pinResetOnboarding: destroys the tenant's protector keys (enrolled protectors can",
    '         never be decrypted again), cancels pending device actions; the audit trail is kept. Asks you',
    '         to type the tenant id; --yes skips that (required when there is no terminal).',
  ].join('\n'),
  options: { ...YES_OPTION },
  async run(context) {
    const [action = 'status'] = context.positionals;
    if (action !== 'status' && action !== 'verify' && action !== 'offboard')
      throw new UsageError(`Unknown onboarding action '${action}' (status | verify | offboard).`);
    const { client, credential, tenantId } = await admin(context);
    if (action === 'offboard') {
      await confirmTyped(context, {
        what: `Offboarding tenant ${tenantId} destroys its protector keys: no enrolled device can recover its PIN without a destructive reset, and pending passcode actions are canceled. The audit trail is kept.`,
        expected: tenantId,
      });
      await client.offboard(credential, tenantId);
    }
    const status = action === 'verify' ? await client.verifyOnboarding(credential, tenantId) : await client.onboardingStatus(credential, tenantId);
    context.emit({ tenantId, ...status });
    if (action === 'offboard')
      context.say(`Tenant ${tenantId} offboarded. To remove it for good, its admin also deletes both enterprise applications in Entra ID.`);
    context.say(describeOnboarding(status));
    return action === 'verify' && status.state !== 'active' ? EXIT.serviceError : EXIT.ok;
  },
});

const deleteDevice = adminCommand(['devices', 'delete'], {
  args: '<deviceId>',
  minPositionals: 1,
  maxPositionals: 1,
  summary: 'Delete (retire) a managed device: its open actions end and its azureADDeviceId can enrol again.',
  async run(context) {
    const [deviceId = ''] = context.positionals;
    const { client, credential } = await admin(context);
    await client.deleteManagedDevice(credential, deviceId);
    context.emit({ deviceId, deleted: true });
    context.say(`Managed device ${deviceId} deleted.`);
    return EXIT.ok;
  },
});

export const ADMIN_COMMANDS: readonly CommandDef[] = [onboard, onboarding, policy, settings, keys, devices, deleteDevice, resetPasscode, cancel, audit];
