/**
 * The raw RSA baseline of the decrypt figures, and the interleaving that keeps each ratio fair.
 */
import { constants, generateKeyPairSync, type KeyObject, privateDecrypt, publicEncrypt, randomBytes } from 'node:crypto';

/**
 * Raw RSA-3072 OAEP-SHA256 privateDecrypt in this process: the baseline every decrypt figure is set
 * beside. It is measured in slices interleaved with what it is compared with (`run(ms)` between the
 * handler's slices and before each HTTP run), so that the host's drift (other tenants of the VM, CPU
 * frequency) weighs on both alike; the figures are the sums over every slice of the run.
 */
export class RawRsa {
  private readonly privateKey: KeyObject;
  private readonly wrapped: Buffer[];
  private readonly options = { padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' };
  private count = 0;
  private cpuMsTotal = 0;
  private elapsedMs = 0;

  constructor() {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 3072 });
    this.privateKey = privateKey;
    this.wrapped = Array.from({ length: 64 }, () => publicEncrypt({ key: publicKey, ...this.options }, randomBytes(32)));
  }

  /** Decrypts for `durationMs` on this thread; returns this slice's figures and adds them to the totals. */
  run(durationMs: number): { count: number; cpuMs: number } {
    let count = 0;
    const cpu = process.cpuUsage();
    const started = performance.now();
    while (performance.now() - started < durationMs) {
      privateDecrypt({ key: this.privateKey, ...this.options }, this.wrapped[count % this.wrapped.length]!);
      count += 1;
    }
    const slice = { count, cpuMs: cpuMs(process.cpuUsage(cpu)) };
    this.count += count;
    this.cpuMsTotal += slice.cpuMs;
    this.elapsedMs += performance.now() - started;
    return slice;
  }

  get perSecond(): number {
    return (this.count / this.elapsedMs) * 1000;
  }

  get cpuMsPerDecrypt(): number {
    return this.cpuMsTotal / this.count;
  }
}

export const cpuMs = (usage: NodeJS.CpuUsage) => (usage.user + usage.system) / 1000;

/** Raw RSA slices last this long between the slices of what they are compared with. */
const RAW_SLICE_MS = 250;

export interface InterleavedRun {
  /** CPU of this process over the measured slices. */
  cpuMs: number;
  elapsedMs: number;
  /** Raw RSA CPU per decrypt over the raw slices of this run. */
  rawCpuMsPerDecrypt: number;
}

/**
 * Runs `slice(started)` — work that starts nothing new `sliceMs` after `started` and ends when its last
 * operation ended — in slices alternating with raw RSA slices, until the slices add up to `durationMs`:
 * both sides of the ratio meet the same drift of the machine. The caller counts its own operations.
 */
export async function interleavedWithRaw(raw: RawRsa, durationMs: number, slice: (started: number) => Promise<void>): Promise<InterleavedRun> {
  let sliceCpuMs = 0;
  let elapsedMs = 0;
  let rawCount = 0;
  let rawCpuMs = 0;
  while (elapsedMs < durationMs) {
    const rawSlice = raw.run(RAW_SLICE_MS);
    rawCount += rawSlice.count;
    rawCpuMs += rawSlice.cpuMs;
    const cpu = process.cpuUsage();
    const started = performance.now();
    await slice(started);
    sliceCpuMs += cpuMs(process.cpuUsage(cpu));
    elapsedMs += performance.now() - started;
  }
  return { cpuMs: sliceCpuMs, elapsedMs, rawCpuMsPerDecrypt: rawCpuMs / rawCount };
}
