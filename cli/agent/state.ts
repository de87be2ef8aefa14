import { chmod, mkdir, readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import type { JWK } from 'jose';
import type { PinComplexity } from '../../shared/domain/pin-policy.js';
import type { JoinType } from '../client/types.js';

export const STATE_FILE_MODE = 0o600;
export const STATE_DIRECTORY_MODE = 0o700;
export const STATE_VERSION = 1;

/**
 * What the agent keeps about its device: the stand-in for the Hello container and the registry
 * values Windows keeps. Never the plaintext protector: only its JWE (which only the service can open)
 * and a SHA-256 of it to check what the service returns.
 */
export interface AgentState {
  version: typeof STATE_VERSION;
  serviceUrl: string;
  /** The service's public base URL as it names itself (the DeviceAssertion `aud`). */
  serviceAudience?: string;
  tenantId: string;
  userObjectId: string;
  userPrincipalName?: string;
  device: {
    /** The managed device id the service assigned (DeviceAssertion iss/sub). */
    id: string;
    azureADDeviceId: string;
    deviceName: string;
    joinType: JoinType;
    /** The device key (EC P-256, private). */
    privateJwk: JWK;
    enrolledDateTime: string;
  };
  hello: {
    ngcSet: boolean;
    /** The Hello container's key id; a destructive reset makes a new one. */
    ngcKeyId: string;
    /** The device's EnablePinRecovery policy. */
    pinRecoveryEnabled: boolean;
    /** Compact JWE of the protector (RSA-OAEP-256 + A256GCM), absent when recovery is off. */
    protectedSecret?: string;
    protectorHash?: string;
    protectorKeyId?: string;
    protectedDateTime?: string;
  };
  /** The device's own PIN complexity policy (what it enforces on a new PIN or passcode). */
  localPinPolicy: PinComplexity;
  lastReset?: { kind: 'nonDestructive' | 'destructive'; dateTime: string; keyId?: string; reprotected?: boolean };
}

export class StateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StateError';
  }
}

export function defaultStatePath(env: NodeJS.ProcessEnv): string {
  return env.PINRESET_AGENT_STATE || path.join(env.HOME || homedir(), '.pinreset-agent', 'state.json');
}

export function resolveStatePath(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  return path.resolve(flag || defaultStatePath(env));
}

export async function stateExists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}

function isAgentState(value: unknown): value is AgentState {
  const state = value as Partial<AgentState> | null;
  return (
    typeof state === 'object' &&
    state !== null &&
    state.version === STATE_VERSION &&
    !!state.device?.id &&
    !!state.device.privateJwk &&
    !!state.tenantId &&
    !!state.hello
  );
}

/** The files the agent keeps beside its state (token cache, temporary files of atomic writes). */
function isAgentFile(name: string, stateFile: string): boolean {
  return name === path.basename(stateFile) || name === 'tokens.json' || /^\..*\.\d+\.\d+\.tmp$/.test(name);
}

/**
 * The state directory is 0700 (it holds the device's private key and tokens). One that others can
 * read is tightened back, with a warning, only when it holds nothing but the agent's files: a
 * --state file in a shared folder (the current directory, /tmp) leaves that folder alone.
 */
export async function tightenStateDirectory(file: string, warn: (message: string) => void): Promise<void> {
  if (process.platform === 'win32') return;
  const directory = path.dirname(file);
  const mode = (await stat(directory)).mode & 0o777;
  if ((mode & 0o077) === 0) return;
  const entries = await readdir(directory);
  if (!entries.every((name) => isAgentFile(name, file))) return;
  await chmod(directory, STATE_DIRECTORY_MODE);
  warn(`warning: ${directory} was open to others (mode ${mode.toString(8)}); set it back to 700.`);
}

/**
 * Reads the state. A file that is not the agent's is refused and left as it is; an agent state file
 * others can read is tightened back to 0600 (its directory to 0700) and reported through `warn`.
 */
export async function loadState(file: string, warn: (message: string) => void = () => {}): Promise<AgentState> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      throw new StateError(`This device is not enrolled (no state file at ${file}). Run: pinreset-agent enroll`);
    throw new StateError(`Cannot read the state file ${file}: ${(error as Error).message}`);
  }
  let state: unknown;
  try {
    state = JSON.parse(text);
  } catch {
    throw new StateError(`The state file ${file} is not valid JSON (not a pinreset-agent state; left as it is).`);
  }
  if (!isAgentState(state)) {
    throw new StateError(`The state file ${file} is not a pinreset-agent state (version ${STATE_VERSION}); left as it is.`);
  }
  const mode = (await stat(file)).mode & 0o777;
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    await chmod(file, STATE_FILE_MODE);
    warn(`warning: ${file} was readable by others (mode ${mode.toString(8)}); set it back to 600.`);
  }
  await tightenStateDirectory(file, warn);
  return state;
}

/** Writes the state (see writePrivateJson); never over a file that is not an agent state. */
export async function saveState(file: string, state: AgentState): Promise<void> {
  let existing: string | undefined;
  try {
    existing = await readFile(file, 'utf8');
  } catch {
    // Nothing there yet.
  }
  if (existing !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(existing);
    } catch {
      parsed = undefined;
    }
    if (!isAgentState(parsed)) throw new StateError(`${file} exists and is not a pinreset-agent state: left as it is. Choose another --state file.`);
  }
  await writePrivateJson(file, state);
}

/**
 * Writes JSON atomically with mode 0600 from the first byte (temp file created 0600 in the same
 * directory, then renamed over the old one); the directory is created 0700. For the state and the
 * token cache, which hold a private key and tokens.
 */
export async function writePrivateJson(file: string, value: unknown): Promise<void> {
  const directory = path.dirname(file);
  await mkdir(directory, { recursive: true, mode: STATE_DIRECTORY_MODE });
  const temporary = path.join(directory, `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  try {
    await writeFile(temporary, `${JSON.stringify(value, null, 2)}\n`, { mode: STATE_FILE_MODE, flag: 'wx' });
    await chmod(temporary, STATE_FILE_MODE); // in case the umask was unusual
    await rename(temporary, file);
  } catch (error) {
    await unlink(temporary).catch(() => {});
    throw error;
  }
}
