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

/** Splits text into lines of at most `width` characters, at spaces where it can. */
export function wrapText(text: string, width: number): string[] {
  const lines: string[] = [];
  let rest = text;
  while (rest.length > width) {
    const space = rest.lastIndexOf(' ', width);
    const cut = space > 0 ? space : width;
    lines.push(rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).trimStart();
  }
  lines.push(rest);
  return lines;
}

export interface TableOptions {
  /** Column index → the widest it may be; longer cells wrap onto continuation lines. */
  maxWidths?: Readonly<Record<number, number>>;
}

/** A plain aligned text table (header row + rows), for admin listings. */
export function table(headers: readonly string[], rows: readonly (readonly (string | number | null | undefined)[])[], options: TableOptions = {}): string {
  const cells = rows.map((row) =>
    headers.map((_, i) => {
      const value = row[i];
      const text = value === undefined || value === null || value === '' ? '-' : String(value);
      const max = options.maxWidths?.[i];
      return max === undefined ? [text] : wrapText(text, max);
    }),
  );
  const widths = headers.map((header, i) => Math.max(header.length, ...cells.flatMap((row) => (row[i] ?? []).map((line) => line.length))));
  const line = (values: readonly string[]) =>
    values
      .map((value, i) => value.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  const body = cells.flatMap((row) => {
    const height = Math.max(...row.map((cell) => cell.length));
    return Array.from({ length: height }, (_, n) => line(row.map((cell) => cell[n] ?? '')));
  });
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...body].join('\n');
}

/** "Title" underlined, for step headings in command output and the demo. */
export function heading(title: string, underline = '='): string {
  return `${title}\n${underline.repeat(title.length)}`;
}
