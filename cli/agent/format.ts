import type { CanReset } from '../client/types.js';
import type { AgentState } from './state.js';

const RULE = `+${'-'.repeat(70)}+`;
/** dsregcmd right-aligns the names in a 26-column field: "             AzureAdJoined : YES". */
const NAME_WIDTH = 26;

export type Row = readonly [name: string, value: string | number | boolean | undefined | null];

const yesNo = (value: boolean) => (value ? 'YES' : 'NO');

/** A `dsregcmd /status` style section: ruled title box, blank line, right-aligned "Name : value" rows. */
export function dsregSection(title: string, rows: readonly Row[]): string {
  const lines = [RULE, `| ${title.padEnd(68)} |`, RULE, ''];
  for (const [name, value] of rows) {
    const text = typeof value === 'boolean' ? yesNo(value) : value === undefined || value === null || value === '' ? '-' : String(value);
    lines.push(`${name.padStart(NAME_WIDTH)} : ${text}`);
  }
  lines.push('');
  return lines.join('\n');
}

/** What dsregcmd reports as CanReset for this device state. */
export function canResetOf(state: AgentState): CanReset {
  if (!state.hello.ngcSet) return 'Unknown';
  if (state.hello.pinRecoveryEnabled && state.hello.protectedSecret && state.hello.protectorHash) return 'DestructiveAndNonDestructive';
  return 'DestructiveOnly';
}

export function deviceStateRows(state: AgentState): Row[] {
  const joinType = state.device.joinType;
  return [
    ['AzureAdJoined', joinType === 'azureADJoined' || joinType === 'hybridAzureADJoined'],
    ['EnterpriseJoined', false],
    ['DomainJoined', joinType === 'hybridAzureADJoined'],
    ['Device Name', state.device.deviceName],
    ['DeviceId', state.device.azureADDeviceId],
    ['TenantId', state.tenantId],
    ['ManagedDeviceId', state.device.id],
  ];
}

export function userStateRows(state: AgentState): Row[] {
  return [
    ['NgcSet', state.hello.ngcSet],
    ['NgcKeyId', state.hello.ngcSet ? `{${state.hello.ngcKeyId.toUpperCase()}}` : undefined],
    ['CanReset', canResetOf(state)],
    ['WorkplaceJoined', state.device.joinType === 'azureADRegistered'],
    ['WamDefaultSet', true],
    ['UserObjectId', state.userObjectId],
  ];
}

export function pinResetRows(state: AgentState): Row[] {
  return [
    ['ServiceUrl', state.serviceUrl],
    ['PinRecoveryEnabled', state.hello.pinRecoveryEnabled],
    ['ProtectorKeyId', state.hello.protectorKeyId],
    ['ProtectedDateTime', state.hello.protectedDateTime],
    ['LastReset', state.lastReset ? `${state.lastReset.kind} ${state.lastReset.dateTime}` : undefined],
    ['LocalMinimumPinLength', state.localPinPolicy.pinMinimumLength],
  ];
}

/** A plain aligned text table (header row + rows), for admin listings. */
export function table(headers: readonly string[], rows: readonly (readonly (string | number | null | undefined)[])[]): string {
  const cells = rows.map((row) => headers.map((_, i) => {
    const value = row[i];
    return value === undefined || value === null || value === '' ? '-' : String(value);
  }));
  const widths = headers.map((header, i) => Math.max(header.length, ...cells.map((row) => row[i]?.length ?? 0)));
  const line = (values: readonly string[]) => values.map((value, i) => value.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

/** "Title" underlined, for step headings in command output and the demo. */
export function heading(title: string, underline = '='): string {
  return `${title}\n${underline.repeat(title.length)}`;
}
