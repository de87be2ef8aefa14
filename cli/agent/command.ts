import type { OptionDefs } from './args.js';
import type { CommandContext } from './context.js';
import type { ExitCode } from './exit-codes.js';

export interface CommandDef {
  /** Words after `pinreset-agent`, e.g. ['admin', 'devices']. */
  path: readonly string[];
  /** Positional arguments in the usage line, e.g. '<deviceId>'. */
  args?: string;
  minPositionals?: number;
  maxPositionals?: number;
  summary: string;
  description?: string;
  options: OptionDefs;
  examples?: string[];
  run(context: CommandContext): Promise<ExitCode>;
}
