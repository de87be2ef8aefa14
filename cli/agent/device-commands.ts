import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { checkPin } from '../../shared/domain/pin-policy.js';
import { deviceCredential, generateDeviceKey } from '../client/device-key.js';
import { GraphApiError, MfaRequiredError } from '../client/errors.js';
import type { Credential } from '../client/http.js';
import type { PinResetClient } from '../client/pin-reset-client.js';
import { currentProtectorKey, generateProtector, matchesProtectorHash, PROTECTOR_BYTES, protectorHash, protectSecret } from '../client/protector.js';
import type { JoinType } from '../client/types.js';
import { choiceOption, stringOption } from './args.js';
import type { CommandDef } from './command.js';
import type { AcquiredToken, CommandContext } from './context.js';
import { EXIT } from './exit-codes.js';
import { canResetOf, deviceStateRows, dsregSection, pinResetRows, userStateRows } from './format.js';
import { checkLocalPolicyOptions, describePolicy, hasLocalPolicyOptions, LOCAL_POLICY_OPTIONS, localPolicyFrom } from './local-policy.js';
import { saveState, stateExists, type AgentState } from './state.js';

const JOIN_TYPES: readonly JoinType[] = ['azureADJoined', 'azureADRegistered', 'hybridAzureADJoined'];
/** The agent stands in for a Windows 11 24H2 device. */
const OS_VERSION = '10.0.26100.2894';

/** The service's own base URL (the device assertion audience), from an entity's @odata.context. */
function audienceFrom(context: string | undefined, fallback: string): string {
  const match = /^(.*)\/v1\.0\/\$metadata#/.exec(context ?? '');
  return match?.[1] || fallback;
}

/** Wraps the protector under the tenant's current key; returns what the state keeps. */
async function protect(client: PinResetClient, caller: Credential, state: Pick<AgentState, 'tenantId' | 'userObjectId'>, protector: Buffer, now: Date) {
  const key = await currentProtectorKey(await client.protectorKeys(caller, state.tenantId));
  const protectedSecret = await protectSecret({ protector, key, tenantId: state.tenantId, userObjectId: state.userObjectId });
  return { protectedSecret, protectorHash: protectorHash(protector), protectorKeyId: key.kid, protectedDateTime: now.toISOString() };
}

/** A fresh 256-bit protector wrapped under the tenant's current key; the plaintext is wiped. */
async function protectNew(client: PinResetClient, caller: Credential, state: Pick<AgentState, 'tenantId' | 'userObjectId'>, now: Date) {
  const protector = generateProtector();
  try {
    return await protect(client, caller, state, protector, now);
  } finally {
    protector.fill(0);
  }
}

/** What `POST /devices/{id}/status` carries, with the kid of the protector's JWE when there is one. */
function statusReport(state: AgentState) {
  return {
    canReset: canResetOf(state),
    ngcSet: state.hello.ngcSet,
    pinRecoveryEnabled: state.hello.pinRecoveryEnabled,
    ...(state.hello.protectorKeyId ? { protectorKeyId: state.hello.protectorKeyId } : {}),
  };
}

/** Who revealed this device's passcodes to an admin, newest action first (the service tells the device's user). */
async function passcodeReveals(client: PinResetClient, credential: Credential, deviceId: string) {
  const actions = await client.ownActionResults(credential, deviceId);
  return actions.flatMap((action) =>
    (action.passcodeReveals ?? []).map((reveal) => ({
      actionId: action.id,
      actionName: action.actionName,
      revealedDateTime: reveal.revealedDateTime,
      revealedBy: reveal.revealedBy.user.userPrincipalName ?? reveal.revealedBy.user.id,
      revealedById: reveal.revealedBy.user.id,
    })),
  );
}

function deviceCredentialOf(context: CommandContext, state: AgentState): Credential {
  return deviceCredential({ deviceId: state.device.id, privateJwk: state.device.privateJwk, audience: state.serviceAudience ?? context.serviceUrl(state) });
}

const enroll: CommandDef = {
  path: ['enroll'],
  maxPositionals: 0,
  summary: 'Enrol this device: device key, managed device record, PIN reset protector wrapped under the tenant key.',
  description: [
    "Makes an EC P-256 device key, enrols the device (POST /v1.0/me/managedDevices), fetches the tenant's",
    'protector key (GET .../pinResetProtectorKeys), generates a 256-bit protector with the CSPRNG, wraps it',
    'as a compact JWE (RSA-OAEP-256 + A256GCM, header kid/tid/oid) and keeps the JWE, a SHA-256 of the',
    'protector and the device key in the state file (mode 0600). The plaintext protector is never stored.',
    'The user is the one signed in with `pinreset-agent login` (or the --token given); the tenant is theirs.',
  ].join('\n'),
  options: {
    'device-name': { type: 'string', valueName: '<name>', description: 'Device name (default: this host name).' },
    'join-type': { type: 'string', valueName: '<type>', description: `Join type: ${JOIN_TYPES.join(' | ')} (default azureADJoined).` },
    'no-pin-recovery': { type: 'boolean', description: 'EnablePinRecovery off: no protector (CanReset DestructiveOnly).' },
    force: { type: 'boolean', description: 'Re-enrol over an existing state file (same azureADDeviceId, new keys and protector).' },
    ...LOCAL_POLICY_OPTIONS,
  },
  examples: ['pinreset-agent login && pinreset-agent enroll --min-length 6', 'pinreset-agent enroll --token "$TOKEN" --join-type azureADRegistered'],
  async run(context) {
    const { values } = context;
    const previous = await context.tryLoadState();
    // A --state file that is not the agent's is never enrolled over, even with --force.
    if ((await stateExists(context.statePath)) && !previous) await context.loadState();
    if ((await stateExists(context.statePath)) && values.force !== true) {
      context.warn(`This device is already enrolled (${context.statePath}). Use --force to enrol again, or --state for another device.`);
      return EXIT.usage;
    }
    const joinType = choiceOption(values, 'join-type', JOIN_TYPES) ?? previous?.device.joinType ?? 'azureADJoined';
    const localPinPolicy = await localPolicyFrom(values, previous?.localPinPolicy);
    const pinRecoveryEnabled = values['no-pin-recovery'] !== true;
    const token = await context.userToken();
    const client = context.client();
    const now = new Date();
    const deviceKey = await generateDeviceKey();
    const azureADDeviceId = previous?.device.azureADDeviceId ?? randomUUID();
    const deviceName = stringOption(values, 'device-name') ?? previous?.device.deviceName ?? hostname();
    // The protector is wrapped first, so enrolment can tell the service its key id (deviceCount).
    const protection = pinRecoveryEnabled
      ? await protectNew(client, token.credential, { tenantId: token.claims.tid, userObjectId: token.claims.oid }, now)
      : undefined;
    const device = await client.enrollDevice(token.credential, {
      deviceName,
      azureADDeviceId,
      joinType,
      operatingSystem: 'Windows',
      osVersion: OS_VERSION,
      deviceKey: deviceKey.publicJwk,
      ...(protection ? { protectorKeyId: protection.protectorKeyId } : {}),
    });
    const state: AgentState = {
      version: 1,
      serviceUrl: client.baseUrl,
      serviceAudience: audienceFrom(device['@odata.context'], client.baseUrl),
      tenantId: token.claims.tid,
      userObjectId: token.claims.oid,
      ...(token.claims.upn ? { userPrincipalName: token.claims.upn } : {}),
      device: { id: device.id, azureADDeviceId, deviceName, joinType, privateJwk: deviceKey.privateJwk, enrolledDateTime: now.toISOString() },
      hello: { ngcSet: true, ngcKeyId: randomUUID(), pinRecoveryEnabled },
      localPinPolicy,
    };
    if (protection) Object.assign(state.hello, protection);
    await saveState(context.statePath, state);
    // As Windows does after provisioning: tell the service what this device can do (dsregcmd CanReset).
    await client.reportDeviceStatus(deviceCredentialOf(context, state), state.device.id, statusReport(state));
    const summary = {
      managedDeviceId: device.id,
      azureADDeviceId,
      deviceName,
      joinType,
      tenantId: state.tenantId,
      userObjectId: state.userObjectId,
      canReset: canResetOf(state),
      protectorKeyId: state.hello.protectorKeyId ?? null,
      stateFile: context.statePath,
    };
    context.emit(summary);
    context.say(`Enrolled ${deviceName} as managed device ${device.id} (${joinType}) in tenant ${state.tenantId}.`);
    context.say(
      pinRecoveryEnabled
        ? `PIN reset protector generated (256-bit), wrapped under tenant key ${state.hello.protectorKeyId}; plaintext wiped.`
        : 'PIN recovery is off on this device: no protector (destructive reset only).',
    );
    context.say(`Local PIN policy: ${describePolicy(localPinPolicy)}.`);
    context.say(`CanReset : ${summary.canReset} (reported to the service)`);
    context.say(`State saved to ${context.statePath} (mode 600).`);
    return EXIT.ok;
  },
};

const status: CommandDef = {
  path: ['status'],
  maxPositionals: 0,
  summary: 'Show a dsregcmd-style Device State / User State block and report it to the service.',
  description: 'Reports {canReset, ngcSet, pinRecoveryEnabled} with POST /v1.0/devices/{id}/status, signed with the device key.',
  options: {
    'no-report': { type: 'boolean', description: 'Only print; do not report to the service.' },
  },
  async run(context) {
    const state = await context.loadState();
    const report = statusReport(state);
    // Talk to the service first: a failure must not come after a healthy-looking block.
    let reported = false;
    let reveals: Awaited<ReturnType<typeof passcodeReveals>> | null = null;
    if (context.values['no-report'] !== true) {
      const client = context.client(state);
      const credential = deviceCredentialOf(context, state);
      await client.reportDeviceStatus(credential, state.device.id, report);
      reported = true;
      // The device's user is told when an admin saw a passcode meant for this device.
      reveals = await passcodeReveals(client, credential, state.device.id);
    }
    context.say(dsregSection('Device State', deviceStateRows(state)));
    context.say(dsregSection('User State', userStateRows(state)));
    context.say(dsregSection('PIN Reset Agent', pinResetRows(state)));
    if (reported) context.say(`Status reported to ${context.serviceUrl(state)} (CanReset ${report.canReset}).`);
    if (reveals) {
      context.say(
        reveals.length === 0
          ? 'Passcode reveals: none (no administrator has viewed a passcode for this device).'
          : [
              'Passcode reveals (an administrator viewed a passcode for this device):',
              ...reveals.map((reveal) => `  ${reveal.revealedDateTime}  by ${reveal.revealedBy}  (${reveal.actionName} ${reveal.actionId})`),
            ].join('\n'),
      );
    }
    context.emit({
      managedDeviceId: state.device.id,
      azureADDeviceId: state.device.azureADDeviceId,
      tenantId: state.tenantId,
      joinType: state.device.joinType,
      ngcKeyId: state.hello.ngcKeyId,
      protectorKeyId: state.hello.protectorKeyId ?? null,
      ...report,
      reported,
      passcodeReveals: reveals,
    });
    return EXIT.ok;
  },
};

function stepUpMessage(error: MfaRequiredError, source: AcquiredToken['source']): string {
  const claims = error.claimsRequest === undefined ? '' : `  Claims challenge: ${JSON.stringify(error.claimsRequest)}`;
  return [
    'Multi-factor authentication is required to reset the PIN.',
    `  The service said: ${error.message} (${error.code}, request-id ${error.requestId ?? '-'})`,
    claims,
    source === 'signIn'
      ? '  The agent signed in again with this challenge, but the new sign-in still had no (recent) MFA. Run pinreset-agent login and complete the MFA step.'
      : `  The token from ${source === 'option' ? '--token' : 'PINRESET_TOKEN'} has no (recent) MFA. Pass one that has, or leave it out so that the agent signs you in (pinreset-agent login) and steps up by itself.`,
  ]
    .filter(Boolean)
    .join('\n');
}

const reset: CommandDef = {
  path: ['reset'],
  maxPositionals: 0,
  summary: 'PIN reset: non-destructive (the service decrypts the protector after MFA) or --destructive.',
  description: [
    'Non-destructive: sends the protected secret to POST /v1.0/me/pinResetProtector/decrypt with an MFA token,',
    'checks the returned protector against the stored SHA-256, wipes it, and re-protects it under the',
    'current tenant key when the service says reprotectRecommended. The protector is never printed.',
    '--destructive: discards the Hello container (new NgcKeyId, new protector) and enrols again.',
  ].join('\n'),
  options: {
    destructive: { type: 'boolean', description: 'Discard the container and re-enrol instead of recovering it.' },
  },
  async run(context) {
    const state = await context.loadState();
    const client = context.client(state);
    const token = await context.userToken();
    if (token.claims.tid !== state.tenantId || token.claims.oid !== state.userObjectId) {
      context.warn(
        `warning: the token is for ${token.claims.oid} in ${token.claims.tid}, but this device was enrolled by ${state.userObjectId} in ${state.tenantId}.`,
      );
    }
    const now = new Date();
    if (context.values.destructive === true) return destructiveReset(context, client, token.credential, state, now);

    if (!state.hello.protectedSecret || !state.hello.protectorHash) {
      context.warn('Non-destructive reset is not available on this device (CanReset DestructiveOnly): no protector was enrolled. Use --destructive.');
      return EXIT.notEnrolled;
    }
    let result: Awaited<ReturnType<typeof client.decryptProtector>>;
    try {
      result = await client.decryptProtector(token.credential, state.hello.protectedSecret);
    } catch (error) {
      if (error instanceof MfaRequiredError) {
        context.emit({
          result: 'mfaRequired',
          code: error.code,
          message: error.message,
          requestId: error.requestId ?? null,
          claims: error.claimsRequest ?? null,
        });
        context.warn(stepUpMessage(error, token.source));
        return EXIT.mfaRequired;
      }
      if (error instanceof GraphApiError && error.code === 'InvalidProtectedSecret') {
        context.emit({ result: 'failed', code: error.code, message: error.message, requestId: error.requestId ?? null });
        context.warn(`The service could not decrypt this device's protector: ${error.message} (request-id ${error.requestId ?? '-'}).`);
        context.warn('Its key may have been retired or the tenant offboarded. Use: pinreset-agent reset --destructive');
        return EXIT.verificationFailed;
      }
      throw error;
    }
    const protector = Buffer.from(result.secret, 'base64');
    let reprotected = false;
    try {
      if (protector.length !== PROTECTOR_BYTES || !matchesProtectorHash(protector, state.hello.protectorHash)) {
        context.emit({ result: 'failed', code: 'ProtectorMismatch', keyId: result.keyId });
        context.warn("The protector returned by the service does not match this device's protector (SHA-256 differs). The PIN was not reset.");
        return EXIT.verificationFailed;
      }
      if (result.reprotectRecommended) {
        Object.assign(state.hello, await protect(client, token.credential, state, protector, now));
        reprotected = true;
      }
    } finally {
      protector.fill(0);
    }
    state.lastReset = { kind: 'nonDestructive', dateTime: now.toISOString(), keyId: result.keyId, reprotected };
    await saveState(context.statePath, state);
    // The protector now lives under the current key: the service counts devices per key (deviceCount).
    if (reprotected) await client.reportDeviceStatus(deviceCredentialOf(context, state), state.device.id, statusReport(state));
    context.emit({
      result: 'success',
      kind: 'nonDestructive',
      verified: true,
      keyId: result.keyId,
      reprotectRecommended: result.reprotectRecommended,
      reprotected,
      protectorKeyId: state.hello.protectorKeyId ?? null,
    });
    context.say('Non-destructive PIN reset: the service returned the protector after MFA.');
    context.say(`  Verified      : SHA-256 matches the enrolled protector (key ${result.keyId})`);
    context.say('  Wiped         : protector buffer overwritten with zeros');
    context.say(
      `  Reprotect     : ${result.reprotectRecommended ? `recommended -> re-wrapped under current key ${state.hello.protectorKeyId}` : 'not needed (current key)'}`,
    );
    context.say('The Hello container is kept; the user can now choose a new PIN.');
    return EXIT.ok;
  },
};

async function destructiveReset(context: CommandContext, client: PinResetClient, user: Credential, state: AgentState, now: Date) {
  const deviceKey = await generateDeviceKey();
  const protection = state.hello.pinRecoveryEnabled ? await protectNew(client, user, state, now) : undefined;
  const device = await client.enrollDevice(user, {
    deviceName: state.device.deviceName,
    azureADDeviceId: state.device.azureADDeviceId,
    joinType: state.device.joinType,
    operatingSystem: 'Windows',
    osVersion: OS_VERSION,
    deviceKey: deviceKey.publicJwk,
    ...(protection ? { protectorKeyId: protection.protectorKeyId } : {}),
  });
  const previousNgcKeyId = state.hello.ngcKeyId;
  state.device = { ...state.device, id: device.id, privateJwk: deviceKey.privateJwk };
  state.serviceAudience = audienceFrom(device['@odata.context'], state.serviceAudience ?? client.baseUrl);
  state.hello = { ngcSet: true, ngcKeyId: randomUUID(), pinRecoveryEnabled: state.hello.pinRecoveryEnabled, ...protection };
  state.lastReset = { kind: 'destructive', dateTime: now.toISOString() };
  await saveState(context.statePath, state);
  context.emit({
    result: 'success',
    kind: 'destructive',
    previousNgcKeyId,
    ngcKeyId: state.hello.ngcKeyId,
    managedDeviceId: device.id,
    protectorKeyId: state.hello.protectorKeyId ?? null,
    canReset: canResetOf(state),
  });
  context.say('Destructive PIN reset: the Hello container was discarded and provisioned again.');
  context.say(`  NgcKeyId      : {${previousNgcKeyId.toUpperCase()}} -> {${state.hello.ngcKeyId.toUpperCase()}}`);
  context.say(`  Re-enrolled   : managed device ${device.id} with a new device key`);
  context.say(`  CanReset      : ${canResetOf(state)}${state.hello.protectorKeyId ? ` (new protector under key ${state.hello.protectorKeyId})` : ''}`);
  return EXIT.ok;
}

const poll: CommandDef = {
  path: ['poll'],
  maxPositionals: 0,
  summary: 'Fetch pending passcode actions, apply them against the local PIN policy, report done or failed.',
  description: [
    "GET /v1.0/devices/{id}/pendingActions (device-signed); each passcode is checked against this device's",
    'own PIN policy (enrolled with enroll, or given here) and reported with POST .../result: done, or failed',
    'with the Windows reason code (e.g. InvalidPinTooFewCharacters). The passcode is never printed.',
  ].join('\n'),
  options: {
    ...LOCAL_POLICY_OPTIONS,
    save: { type: 'boolean', description: 'Keep the given local policy options in the state file for later polls.' },
  },
  examples: ['pinreset-agent poll', 'pinreset-agent poll --min-length 7   # reproduce the field failure'],
  async run(context) {
    checkLocalPolicyOptions(context.values);
    const state = await context.loadState();
    const policy = await localPolicyFrom(context.values, state.localPinPolicy);
    if (context.values.save === true && hasLocalPolicyOptions(context.values)) {
      state.localPinPolicy = policy;
      await saveState(context.statePath, state);
    }
    const client = context.client(state);
    const credential = deviceCredentialOf(context, state);
    const actions = await client.pendingActions(credential, state.device.id);
    const results: { id: string; actionName: string; actionState: 'done' | 'failed'; errorCode: string | null; reason: string | null }[] = [];
    context.say(`Local PIN policy: ${describePolicy(policy)}.`);
    if (actions.length === 0) context.say('No pending actions.');
    for (const action of actions) {
      const failure =
        typeof action.passcode === 'string'
          ? checkPin(action.passcode, policy)
          : { code: 'InvalidPinUnknownCharacters' as const, message: 'The action carried no passcode.' };
      const report = failure ? { actionState: 'failed' as const, errorCode: failure.code } : { actionState: 'done' as const };
      await client.reportActionResult(credential, state.device.id, action.id, report);
      results.push({
        id: action.id,
        actionName: action.actionName,
        actionState: report.actionState,
        errorCode: failure?.code ?? null,
        reason: failure?.message ?? null,
      });
      context.say(
        failure
          ? `Action ${action.id} (${action.actionName}): the device refused the passcode: ${failure.code}. ${failure.message} Reported failed.`
          : `Action ${action.id} (${action.actionName}): passcode accepted by the local PIN policy and applied. Reported done.`,
      );
    }
    context.emit({ managedDeviceId: state.device.id, localPinPolicy: policy, actions: results });
    return results.some((result) => result.actionState === 'failed') ? EXIT.passcodeRefused : EXIT.ok;
  },
};

export const DEVICE_COMMANDS: readonly CommandDef[] = [enroll, status, reset, poll];
