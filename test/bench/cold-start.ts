import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { printTable, round } from './load.js';

const RUNS = 15;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/** Wall time of a fresh process, and the CPU time it used (user + system, from its own process.cpuUsage at the end). */
function timeProcess(code: string): { wallMs: number; cpuMs: number } {
  const started = performance.now();
  const result = spawnSync(
    process.execPath,
    ['--input-type=module', '-e', `${code}; const u = process.cpuUsage(); process.stdout.write('CPU ' + (u.user + u.system) + '\\n');`],
    { stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, PINRESET_DEV_MODE: 'false' } },
  );
  const wallMs = performance.now() - started;
  if (result.status !== 0) throw new Error(`node -e ${code} exited with ${result.status}`);
  const cpu = /CPU (\d+)/.exec(result.stdout.toString())?.[1];
  return { wallMs, cpuMs: Number(cpu) / 1000 };
}

/**
 * (a) Cold start: importing the built function entry (registers every route) versus bare node, as
 * wall time (median of fresh processes) and as the CPU time the process used, which a loaded machine
 * inflates less than wall time.
 */
export async function runColdStartBench(): Promise<{ bareMs: number; entryMs: number; bareCpuMs: number; entryCpuMs: number }> {
  const entry = fileURLToPath(new URL('../../functions/index.js', import.meta.url));
  const bare: { wallMs: number; cpuMs: number }[] = [];
  const withEntry: { wallMs: number; cpuMs: number }[] = [];
  for (let run = 0; run < RUNS; run += 1) {
    bare.push(timeProcess('0'));
    withEntry.push(timeProcess(`await import(${JSON.stringify(entry)})`));
  }
  const bareMs = median(bare.map((sample) => sample.wallMs));
  const entryMs = median(withEntry.map((sample) => sample.wallMs));
  const bareCpuMs = median(bare.map((sample) => sample.cpuMs));
  const entryCpuMs = median(withEntry.map((sample) => sample.cpuMs));
  printTable(`Cold start (median of ${RUNS} processes; ${(await import('node:os')).loadavg()[0]!.toFixed(2)} load average)`, [
    { case: 'bare node (baseline)', 'wall ms': round(bareMs), 'CPU ms': round(bareCpuMs) },
    { case: 'node + import dist/functions/index.js', 'wall ms': round(entryMs), 'CPU ms': round(entryCpuMs) },
    { case: 'cost of the function entry', 'wall ms': round(entryMs - bareMs), 'CPU ms': round(entryCpuMs - bareCpuMs) },
  ]);
  return { bareMs, entryMs, bareCpuMs, entryCpuMs };
}
