#!/usr/bin/env node
/**
 * pinreset-agent: the device agent of the PIN reset service (the client half that Windows implements
 * in ngcrecovery.dll) and admin helpers. `pinreset-agent --help`.
 */
import { runAgent } from './agent/main.js';

// `pinreset-agent admin audit | head`: a reader that stops early ends the output, not in a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(process.exitCode ?? 0);
  });
}

process.exitCode = await runAgent(process.argv.slice(2));
