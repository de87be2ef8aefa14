import { walkOnboarding } from '../client/onboarding.js';
import type { AuditEvent, DeviceActionResult, ManagedDeviceSelection, TenantSettingsPatch } from '../client/types.js';
import { choiceOption, integerOption, stringOption, UsageError, type OptionDefs } from './args.js';
import type { CommandDef } from './command.js';
import type { CommandContext } from './context.js';
import { EXIT } from './exit-codes.js';
import { heading, table } from './format.js';
import { PIN_COMPLEXITY_OPTIONS, pinComplexityFromOptions } from './pin-complexity-options.js';

const TENANT_OPTION = {
  tenant: { type: 'string' as const, valueName: '<tid>', description: 'Tenant id (env PINRESET_TENANT; default: the enrolled tenant; with --token: the token\'s).' },
};

/** `pinreset-agent admin <name>`: every admin command takes --tenant (listed first). */
function adminCommand(name: string, def: Omit<CommandDef, 'path' | 'options'> & { options?: OptionDefs }): CommandDef {
  return { ...def, path: ['admin', name], options: { ...TENANT_OPTION, ...def.options } };
}

async function admin(context: CommandContext) {
  const state = await context.tryLoadState();
  const token = await context.adminToken();
  return { client: context.client(state), credential: token.credential, tenantId: token.claims.tid };
}

function latestAction(device: ManagedDeviceSelection): DeviceActionResult | undefined {
  return [...(device.deviceActionResults ?? [])].sort((a, b) => (b.startDateTime ?? '').localeCompare(a.startDateTime ?? ''))[0];
}

function describeAction(action: DeviceActionResult): string[] {
  const lines = [`${action.actionName} ${action.id}: ${action.actionState} (started ${action.startDateTime ?? '-'}, updated ${action.lastUpdatedDateTime ?? '-'})`];
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
  summary: 'Development mode: onboard a tenant through the consent pages, as a browser would.',
  description: 'GET /onboarding/start?tenant=..., Accept on the service app\'s and the client app\'s consent pages, then checks the onboarding status.',
  options: {
    cancel: { type: 'boolean', description: 'Press Cancel on the first consent page instead of Accept.' },
  },
  async run(context) {
    const state = await context.tryLoadState();
    const tenant = context.tenantId(state);
    if (!tenant) throw new UsageError('Pass --tenant <tenant id or domain>.', 'admin onboard');
    const walk = await walkOnboarding({ baseUrl: context.serviceUrl(state), tenant, decisions: context.values.cancel === true ? ['cancel'] : [] });
    for (const step of walk.steps) context.say(`  ${step.method.padEnd(4)} ${step.status} ${step.url.length > 110 ? `${step.url.slice(0, 107)}...` : step.url}${step.consentFor ? '   <- consent page: Accept' : ''}`);
    context.say('');
    context.say(walk.finalText.split('\n').map((line) => `  | ${line}`).join('\n'));
    const { client, credential, tenantId } = await admin(context);
    const status = await client.onboardingStatus(credential, tenantId);
    context.emit({ tenantId, state: status.state, consentPages: walk.consentPages, finalStatus: walk.finalStatus, onboarding: status, page: walk.finalText });
    context.say('');
    context.say(`Onboarding state: ${status.state}${status.failure ? ` (${status.failure.code}: ${status.failure.message})` : ''}`);
    return status.state === 'active' ? EXIT.ok : EXIT.serviceError;
  },
});

const policy = adminCommand('policy', {
  maxPositionals: 0,
  summary: 'Print the client policy to deploy (Intune custom profile body + Group Policy equivalents).',
  async run(context) {
    const { client, credential, tenantId } = await admin(context);
    const body = await client.recoveryPolicy(credential, tenantId);
    context.emit(body);
    context.say(JSON.stringify(body, null, 2));
    return EXIT.ok;
  },
});

const settings = adminCommand('settings', {
  maxPositionals: 0,
  summary: 'Show the tenant\'s pinResetSettings, or change them (PATCH) with the options below.',
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
    if (urls !== undefined) patch.webSignInAllowedUrls = urls.split(',').map((url) => url.trim()).filter(Boolean);
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
  summary: 'List the tenant\'s protector key versions, rotate the key, or retire a version.',
  async run(context) {
    const [action, kid] = context.positionals;
    if (action !== undefined && action !== 'rotate' && action !== 'retire') throw new UsageError(`Unknown keys action '${action}' (rotate | retire <kid>).`, 'admin keys');
    if (action === 'retire' && !kid) throw new UsageError('admin keys retire needs the <kid> to retire.', 'admin keys');
    const { client, credential, tenantId } = await admin(context);
    if (action === 'rotate') {
      await client.rotateProtectorKey(credential, tenantId);
      context.say('Rotated: a new active key; the previous one is decryptOnly.');
    } else if (action === 'retire' && kid) {
      await client.retireProtectorKey(credential, tenantId, kid);
      context.say(`Retired ${kid}: protectors under it can no longer be decrypted.`);
    }
    const versions = await client.protectorKeyVersions(credential, tenantId);
    context.emit({ tenantId, versions });
    context.say(table(['kid', 'state', 'createdDateTime'], versions.map((v) => [v.kid, v.state, v.createdDateTime])));
    return EXIT.ok;
  },
});

const devices = adminCommand('devices', {
  args: '[deviceId]',
  maxPositionals: 1,
  summary: 'List the tenant\'s managed devices, or show one with its deviceActionResults.',
  options: {
    filter: { type: 'string', valueName: '<odata>', description: "OData $filter, e.g. \"joinType eq 'azureADRegistered'\"." },
    top: { type: 'string', valueName: '<n>', description: 'Page size ($top).' },
  },
  async run(context) {
    const [deviceId] = context.positionals;
    const { client, credential } = await admin(context);
    if (deviceId) {
      const device = await client.managedDevice(credential, deviceId);
      context.emit(device);
      context.say(describeDevice(device));
      return EXIT.ok;
    }
    const top = integerOption(context.values, 'top', { min: 1, max: 999 });
    const filter = stringOption(context.values, 'filter');
    const list = await client.managedDevices(credential, { ...(top ? { top } : {}), ...(filter ? { filter } : {}), all: top === undefined });
    context.emit(list);
    context.say(table(['id', 'deviceName', 'joinType', 'canReset', 'lastSyncDateTime', 'last action'], list.map((device) => {
      const action = latestAction(device);
      return [device.id, device.deviceName, device.joinType, device.canReset, device.lastSyncDateTime, action ? `${action.actionName} ${action.actionState}${action.errorName ? ` ${action.errorName}` : ''}` : undefined];
    })));
    return EXIT.ok;
  },
});

const resetPasscode = adminCommand('reset-passcode', {
  args: '<deviceId>',
  minPositionals: 1,
  maxPositionals: 1,
  summary: 'Request a passcode reset for a managed device (as Intune: Devices > device > Reset passcode).',
  options: {
    'idempotency-key': { type: 'string', valueName: '<key>', description: 'Idempotency-Key header (a retry with the same key is not a second request).' },
  },
  async run(context) {
    const [deviceId = ''] = context.positionals;
    const { client, credential } = await admin(context);
    await client.resetPasscode(credential, deviceId, stringOption(context.values, 'idempotency-key'));
    const device = await client.managedDevice(credential, deviceId);
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

function initiator(event: AuditEvent): string {
  const by = event.initiatedBy;
  if ('device' in by) return `device ${by.device.id}`;
  if ('user' in by) return `user ${by.user.id}`;
  return 'app' in by ? `app ${by.app.id}` : '-';
}

const audit = adminCommand('audit', {
  maxPositionals: 0,
  summary: 'Print the tenant\'s PIN reset audit trail, newest first.',
  options: {
    top: { type: 'string', valueName: '<n>', description: 'At most this many events (default 50).' },
    activity: { type: 'string', valueName: '<name>', description: "Only this activity (\$filter=activity eq '...')." },
    since: { type: 'string', valueName: '<iso>', description: 'Only events at or after this time ($filter=activityDateTime ge ...).' },
  },
  async run(context) {
    const top = integerOption(context.values, 'top', { min: 1, max: 999 }) ?? 50;
    const filters: string[] = [];
    const activity = stringOption(context.values, 'activity');
    const since = stringOption(context.values, 'since');
    if (activity) filters.push(`activity eq '${activity.replace(/'/g, "''")}'`);
    if (since) {
      if (Number.isNaN(Date.parse(since))) throw new UsageError(`--since must be an ISO-8601 time (got '${since}').`, 'admin audit');
      filters.push(`activityDateTime ge ${new Date(since).toISOString()}`);
    }
    const { client, credential } = await admin(context);
    const events = await client.auditEvents(credential, { top, ...(filters.length ? { filter: filters.join(' and ') } : {}) });
    context.emit(events);
    context.say(table(['activityDateTime', 'activity', 'result', 'resultReason', 'initiatedBy'], events.map((event) => [
      event.activityDateTime, event.activity, event.result, event.resultReason, initiator(event),
    ])));
    return EXIT.ok;
  },
});

export const ADMIN_COMMANDS: readonly CommandDef[] = [onboard, policy, settings, keys, devices, resetPasscode, cancel, audit];
