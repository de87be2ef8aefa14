import { mkdtemp, readFile, stat, chmod, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { canResetOf, dsregSection, table, userStateRows } from '../../cli/agent/format.js';
import { loadState, resolveStatePath, saveState, StateError, type AgentState } from '../../cli/agent/state.js';
import { DEFAULT_PIN_COMPLEXITY } from '../../shared/domain/pin-policy.js';

function sampleState(overrides: Partial<AgentState['hello']> = {}): AgentState {
  return {
    version: 1,
    serviceUrl: 'http://localhost:7071',
    tenantId: 'tid',
    userObjectId: 'oid',
    device: {
      id: 'md-1',
      azureADDeviceId: 'aad-1',
      deviceName: 'PC-1',
      joinType: 'azureADJoined',
      privateJwk: { kty: 'EC', crv: 'P-256', x: 'x', y: 'y', d: 'd' },
      enrolledDateTime: '2025-01-01T00:00:00.000Z',
    },
    hello: {
      ngcSet: true,
      ngcKeyId: '5b9a1c2e-0000-4000-8000-000000000001',
      pinRecoveryEnabled: true,
      protectedSecret: 'a.b.c.d.e',
      protectorHash: 'sha256:x',
      protectorKeyId: 'kid',
      ...overrides,
    },
    localPinPolicy: { ...DEFAULT_PIN_COMPLEXITY },
  };
}

describe('the agent state file', () => {
  it('is written with mode 0600 in a 0700 directory, atomically (no temp file left)', async () => {
    const directory = await mkdtemp(path.join(tmpdir(), 'agent-state-'));
    const file = path.join(directory, 'nested', 'state.json');
    await saveState(file, sampleState());
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(path.dirname(file))).mode & 0o777).toBe(0o700);
    expect(await readdir(path.dirname(file))).toEqual(['state.json']);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual(sampleState());
    await saveState(file, sampleState({ protectorKeyId: 'kid-2' }));
    expect((await loadState(file)).hello.protectorKeyId).toBe('kid-2');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('is tightened back to 0600 with a warning when someone made it readable by others', async () => {
    const file = path.join(await mkdtemp(path.join(tmpdir(), 'agent-state-')), 'state.json');
    await saveState(file, sampleState());
    await chmod(file, 0o644);
    const warnings: string[] = [];
    await loadState(file, (message) => warnings.push(message));
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(warnings.join()).toMatch(/readable by others \(mode 644\)/);
  });

  it('says "not enrolled" for a missing file and refuses a file that is not agent state', async () => {
    const directory = await mkdtemp(path.join(tmpdir(), 'agent-state-'));
    await expect(loadState(path.join(directory, 'none.json'))).rejects.toThrow(StateError);
    await expect(loadState(path.join(directory, 'none.json'))).rejects.toThrow(/not enrolled/);
    await writeFile(path.join(directory, 'bad.json'), '{"hello":1}', { mode: 0o600 });
    await expect(loadState(path.join(directory, 'bad.json'))).rejects.toThrow(/not a pinreset-agent state/);
  });

  it("tightens a loosened state directory back to 0700 with a warning when it holds only the agent's files", async () => {
    const directory = path.join(await mkdtemp(path.join(tmpdir(), 'agent-state-')), '.pinreset-agent');
    const file = path.join(directory, 'state.json');
    await saveState(file, sampleState());
    await writeFile(path.join(directory, 'tokens.json'), '{}', { mode: 0o600 });
    await chmod(directory, 0o755);
    const warnings: string[] = [];
    await loadState(file, (message) => warnings.push(message));
    expect((await stat(directory)).mode & 0o777).toBe(0o700);
    expect(warnings.join()).toMatch(/open to others \(mode 755\); set it back to 700/);
  });

  it('leaves a shared folder that holds a --state file alone (the current directory, /tmp)', async () => {
    const shared = await mkdtemp(path.join(tmpdir(), 'agent-shared-'));
    await chmod(shared, 0o755);
    await writeFile(path.join(shared, 'notes.txt'), "someone else's file");
    const file = path.join(shared, 'device.json');
    await saveState(file, sampleState());
    const warnings: string[] = [];
    await loadState(file, (message) => warnings.push(message));
    expect((await stat(shared)).mode & 0o777).toBe(0o755);
    expect(warnings).toEqual([]);
  });

  it("leaves a --state file that is not the agent's as it is: not tightened, not overwritten", async () => {
    const directory = await mkdtemp(path.join(tmpdir(), 'agent-state-'));
    const file = path.join(directory, 'package.json');
    const text = '{"name":"not-a-device"}\n';
    await writeFile(file, text, { mode: 0o644 });
    await chmod(file, 0o644);
    const warnings: string[] = [];
    await expect(loadState(file, (message) => warnings.push(message))).rejects.toThrow(/not a pinreset-agent state .*left as it is/);
    await expect(saveState(file, sampleState())).rejects.toThrow(/exists and is not a pinreset-agent state: left as it is/);
    expect((await stat(file)).mode & 0o777).toBe(0o644);
    expect(await readFile(file, 'utf8')).toBe(text);
    expect(warnings).toEqual([]);
  });

  it('lives at --state, else PINRESET_AGENT_STATE, else ~/.pinreset-agent/state.json', () => {
    expect(resolveStatePath('/x/s.json', { PINRESET_AGENT_STATE: '/y/s.json' })).toBe('/x/s.json');
    expect(resolveStatePath(undefined, { PINRESET_AGENT_STATE: '/y/s.json' })).toBe('/y/s.json');
    expect(resolveStatePath(undefined, { HOME: '/home/u' })).toBe('/home/u/.pinreset-agent/state.json');
  });
});

describe('dsregcmd-style output', () => {
  it('prints a ruled title box and right-aligned "Name : value" rows like dsregcmd /status', () => {
    const text = dsregSection('User State', userStateRows(sampleState()));
    const lines = text.split('\n');
    expect(lines[0]).toBe(`+${'-'.repeat(70)}+`);
    expect(lines[1]).toBe(`| User State${' '.repeat(59)}|`);
    expect(lines[1]).toHaveLength(72);
    expect(lines[2]).toBe(lines[0]);
    expect(lines).toContain('                    NgcSet : YES');
    expect(lines).toContain('                  NgcKeyId : {5B9A1C2E-0000-4000-8000-000000000001}');
    expect(lines).toContain('                  CanReset : DestructiveAndNonDestructive');
    expect(lines).toContain('           WorkplaceJoined : NO');
  });

  it('derives CanReset from the container: protector → both, no recovery → DestructiveOnly, no container → Unknown', () => {
    expect(canResetOf(sampleState())).toBe('DestructiveAndNonDestructive');
    expect(canResetOf(sampleState({ pinRecoveryEnabled: false, protectedSecret: undefined, protectorHash: undefined }))).toBe('DestructiveOnly');
    expect(canResetOf(sampleState({ ngcSet: false }))).toBe('Unknown');
  });

  it('aligns admin tables and shows - for missing values', () => {
    expect(
      table(
        ['id', 'name'],
        [
          ['1', null],
          ['22', 'PC'],
        ],
      ),
    ).toBe('id  name\n--  ----\n1   -\n22  PC');
  });
});

describe('admin tables wrap long cells', () => {
  it('wraps a column with a maximum width onto continuation lines at spaces, aligned under it', async () => {
    const reason = 'The device refused the passcode: InvalidPinTooFewCharacters. Raise pinMinimumLength to 10 in pinResetSettings, then reset again.';
    const text = table(['activity', 'resultReason', 'by'], [['passcodeResetFailed', reason, 'device 1']], { maxWidths: { 1: 40 } });
    const lines = text.split('\n');
    expect(lines.every((line) => line.length <= 'passcodeResetFailed'.length + 2 + 40 + 2 + 'device 1'.length)).toBe(true);
    const end = lines[0]?.indexOf('by') ?? 0;
    expect(
      lines
        .slice(2)
        .map((line) => line.slice(21, end).trim())
        .join(' '),
    ).toBe(reason);
    expect(lines.slice(2).every((line) => line.slice(21, end).trimEnd().length <= 40)).toBe(true);
    expect(lines[2]).toMatch(/device 1$/);
    expect(lines[3]?.startsWith(' '.repeat(21))).toBe(true);
  });
});
