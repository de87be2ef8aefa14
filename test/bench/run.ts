/** `npm run bench`: prints figures side by side with their baselines. No pass/fail. */
import { runColdStartBench } from './cold-start.js';
import { runDecryptBench } from './decrypt.js';
import { runOrganizationBench } from './organization.js';

console.log(`PIN reset service benchmarks — node ${process.version}, ${(await import('node:os')).cpus().length} cores`);
await runColdStartBench();
await runOrganizationBench();
await runDecryptBench();
