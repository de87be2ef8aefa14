#!/usr/bin/env node
/**
 * pinreset-agent: the device agent of the PIN reset service (the client half that Windows implements
 * in ngcrecovery.dll) and admin helpers. `pinreset-agent --help`.
 */
import { runAgent } from './agent/main.js';

process.exitCode = await runAgent(process.argv.slice(2));
