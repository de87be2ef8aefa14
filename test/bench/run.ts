/**
 * `npm run bench`: prints figures side by side with their baselines, then one machine-readable line
 * `bench-summary {json}`. No pass/fail: tests prove the counts, the bench measures.
 */
import { runColdStartBench } from './cold-start.js';
import { runDecryptBench } from './decrypt.js';
import { runDeviceListBench } from './device-list.js';
import { printTable, round } from './load.js';
import { runOrganizationBench } from './organization.js';

console.log(
  `PIN reset service benchmarks — node ${process.version}, ${(await import('node:os')).cpus().length} cores, ${(await import('node:os'))
    .loadavg()
    .map((load) => load.toFixed(2))
    .join(' ')} load average at start`,
);
const cold = await runColdStartBench();
await runOrganizationBench();
const decrypt = await runDecryptBench();
const devices = await runDeviceListBench();

const twoWorkersOn = decrypt.http.find((entry) => entry.workers === 2 && entry.limits === 'on')!.result;
const twoWorkersCeiling = decrypt.http.find((entry) => entry.workers === 2 && entry.limits === 'ceiling')!.result;
const cpu = (ms: number | undefined) => (ms === undefined ? 'n/a' : round(ms, 2));
const summary = {
  rawRsaPerSec: round(decrypt.rawRsaPerSec, 0),
  handlerCpuRatio: round(decrypt.handlerOn.rawCpuMsPerDecrypt / decrypt.handlerOn.cpuMsPerDecrypt, 3),
  tableTxPerDecrypt: round(decrypt.handlerOn.tablePerDecrypt, 3),
  httpRatio2Workers: round(twoWorkersOn.perSecond / decrypt.rawRsaPerSec, 3),
  httpP99Ms: round(twoWorkersOn.p99Ms, 2),
  deviceListQueriesPer100: devices.queriesPer100,
  deviceListKekCallsPer100: devices.kekCallsPer100,
  entryImportMs: round(cold.entryMs, 1),
  bareNodeMs: round(cold.bareMs, 1),
  firstDecryptMs: round(decrypt.firstDecryptMs, 1),
};
printTable('Summary (issue 13): each figure, its baseline from this run, and the target', [
  { figure: 'rawRsaPerSec', value: summary.rawRsaPerSec, baseline: 'one core, this process', target: '' },
  {
    figure: 'handlerCpuRatio',
    value: summary.handlerCpuRatio,
    baseline: `raw ${round(decrypt.handlerOn.rawCpuMsPerDecrypt, 3)} ms (interleaved) vs handler ${round(decrypt.handlerOn.cpuMsPerDecrypt, 3)} ms CPU/decrypt (limits off: ${round(decrypt.handlerOff.rawCpuMsPerDecrypt / decrypt.handlerOff.cpuMsPerDecrypt, 3)}); the stack floor reaches ${round(decrypt.floor.rawCpuMsPerDecrypt / decrypt.floor.cpuMsPerDecrypt, 3)}`,
    target: '≥ 0.8',
  },
  { figure: 'tableTxPerDecrypt', value: summary.tableTxPerDecrypt, baseline: `limits off: ${round(decrypt.handlerOff.tablePerDecrypt, 3)}`, target: '≤ 1.0' },
  {
    figure: 'httpRatio2Workers',
    value: summary.httpRatio2Workers,
    baseline: `${round(twoWorkersOn.perSecond, 0)}/s vs raw ${summary.rawRsaPerSec}/s; bare HTTP + RSA ceiling ${round(twoWorkersCeiling.perSecond, 0)}/s (${round(twoWorkersCeiling.perSecond / decrypt.rawRsaPerSec, 3)}); CPU ms/decrypt: server ${cpu(twoWorkersOn.cpu.server)}, Azurite ${cpu(twoWorkersOn.cpu.azurite)}, load generator ${cpu(twoWorkersOn.cpu.loadGenerator)}`,
    target: '≥ 0.8',
  },
  {
    figure: 'httpP99Ms',
    value: summary.httpP99Ms,
    baseline: `p50 ${round(twoWorkersOn.p50Ms, 2)} ms; ceiling p50 ${round(twoWorkersCeiling.p50Ms, 2)}, p99 ${round(twoWorkersCeiling.p99Ms, 2)} ms`,
    target: '≤ 25',
  },
  { figure: 'deviceListQueriesPer100', value: summary.deviceListQueriesPer100, baseline: 'see the device list table (single-device read)', target: '≤ 2' },
  { figure: 'deviceListKekCallsPer100', value: summary.deviceListKekCallsPer100, baseline: 'single-device read: 1 (reveals)', target: '0' },
  {
    figure: 'entryImportMs',
    value: summary.entryImportMs,
    baseline: `bare node ${summary.bareNodeMs} ms (+${round(cold.entryMs - cold.bareMs, 1)}); CPU ${round(cold.entryCpuMs, 1)} vs ${round(cold.bareCpuMs, 1)} ms (+${round(cold.entryCpuMs - cold.bareCpuMs, 1)})`,
    target: '≤ bare + 100',
  },
  { figure: 'firstDecryptMs', value: summary.firstDecryptMs, baseline: `spawn → listening ${round(decrypt.readyMs, 1)} ms`, target: '' },
]);
console.log(`bench-summary ${JSON.stringify(summary)}`);
