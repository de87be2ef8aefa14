import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { printTable, round } from './load.js';

const RUNS = 15;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function timeProcess(args: string[]): number {
  const started = performance.now();
  const result = spawnSync(process.execPath, args, { stdio: 'ignore', env: { ...process.env, PINRESET_DEV_MODE: 'false' } });
  if (result.status !== 0) throw new Error(`node ${args.join(' ')} exited with ${result.status}`);
  return performance.now() - started;
}

/** (a) Cold start: importing the built function entry (registers every route) versus bare node. */
export async function runColdStartBench(): Promise<{ bareMs: number; entryMs: number }> {
  const entry = fileURLToPath(new URL('../../functions/index.js', import.meta.url));
  const bare: number[] = [];
  const withEntry: number[] = [];
  for (let run = 0; run < RUNS; run += 1) {
    bare.push(timeProcess(['-e', '0']));
    withEntry.push(timeProcess(['--input-type=module', '-e', `await import(${JSON.stringify(entry)})`]));
  }
  const bareMs = median(bare);
  const entryMs = median(withEntry);
  printTable(`Cold start (median of ${RUNS} processes)`, [
    { case: 'bare node -e 0', ms: round(bareMs) },
    { case: 'node + import dist/functions/index.js', ms: round(entryMs) },
    { case: 'cost of the function entry', ms: round(entryMs - bareMs) },
  ]);
  return { bareMs, entryMs };
}
