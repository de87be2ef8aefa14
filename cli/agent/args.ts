import { parseArgs } from 'node:util';
import { EXIT_CODE_HELP } from './exit-codes.js';

export interface OptionDef {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  description: string;
  /** Shown in help for string options, e.g. `<url>`. */
  valueName?: string;
}

export type OptionDefs = Record<string, OptionDef>;
export type OptionValues = Record<string, string | boolean | string[] | boolean[] | undefined>;

export class UsageError extends Error {
  constructor(
    message: string,
    readonly helpFor?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Options every command takes. */
export const GLOBAL_OPTIONS: OptionDefs = {
  url: {
    type: 'string',
    valueName: '<url>',
    description: 'Service base URL (env PINRESET_URL; else the enrolled service; else http://localhost:${PORT:-7071}, where npm start serves).',
  },
  state: { type: 'string', valueName: '<file>', description: 'Device state file (env PINRESET_AGENT_STATE; default ~/.pinreset-agent/state.json).' },
  token: {
    type: 'string',
    valueName: '<jwt>',
    description: 'Access token to use instead of the signed-in one, for scripts (env PINRESET_TOKEN; admin commands: PINRESET_ADMIN_TOKEN).',
  },
  json: { type: 'boolean', description: 'Machine-readable JSON on stdout.' },
  help: { type: 'boolean', short: 'h', description: 'Show help for this command.' },
};

const KEY_ID_WITH_DASH = /^-[A-Za-z0-9_-]{42}$/;
const MASK = '\u0000';

function unmask<T>(value: T): T {
  if (typeof value === 'string') return (value.startsWith(MASK) ? value.slice(MASK.length) : value) as T;
  return Array.isArray(value) ? (value.map(unmask) as T) : value;
}

/** Parses one command's arguments strictly (unknown options and missing values are usage errors). */
export function parseCommandArgs(argv: readonly string[], options: OptionDefs, commandName: string): { values: OptionValues; positionals: string[] } {
  const all = { ...GLOBAL_OPTIONS, ...options };
  const config = Object.fromEntries(
    Object.entries(all).map(([name, def]) => [
      name,
      { type: def.type, ...(def.short ? { short: def.short } : {}), ...(def.multiple ? { multiple: true } : {}) },
    ]),
  );
  try {
    // A protector key id (RFC 7638 thumbprint: 43 base64url characters) may begin with '-': it is an
    // argument, never a cluster of short options. It is masked while parsing, then put back.
    const masked = argv.map((arg) => (KEY_ID_WITH_DASH.test(arg) ? `${MASK}${arg}` : arg));
    const parsed = parseArgs({ args: masked, options: config, strict: true, allowPositionals: true });
    const values = Object.fromEntries(Object.entries(parsed.values).map(([name, value]) => [name, unmask(value)]));
    return { values: values as OptionValues, positionals: parsed.positionals.map((positional) => unmask(positional) as string) };
  } catch (error) {
    throw new UsageError((error as Error).message.replace(/\. To specify a positional argument.*$/s, '.'), commandName);
  }
}

export function stringOption(values: OptionValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

export function integerOption(values: OptionValues, name: string, bounds: { min?: number; max?: number } = {}): number | undefined {
  const value = stringOption(values, name);
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value)) throw new UsageError(`--${name} must be an integer (got '${value}').`);
  const number = Number(value);
  if ((bounds.min !== undefined && number < bounds.min) || (bounds.max !== undefined && number > bounds.max)) {
    throw new UsageError(`--${name} must be from ${bounds.min ?? '-∞'} to ${bounds.max ?? '∞'} (got ${number}).`);
  }
  return number;
}

export function choiceOption<T extends string>(values: OptionValues, name: string, choices: readonly T[]): T | undefined {
  const value = stringOption(values, name);
  if (value === undefined) return undefined;
  if (!(choices as readonly string[]).includes(value)) throw new UsageError(`--${name} must be one of ${choices.join(', ')} (got '${value}').`);
  return value as T;
}

export function formatOptions(options: OptionDefs): string {
  const rows = Object.entries(options).map(([name, def]) => {
    const flag = `${def.short ? `-${def.short}, ` : '    '}--${name}${def.type === 'string' ? ` ${def.valueName ?? '<value>'}` : ''}`;
    return [flag, def.description] as const;
  });
  const width = Math.max(...rows.map(([flag]) => flag.length)) + 2;
  return rows.map(([flag, description]) => `  ${flag.padEnd(width)}${description}`).join('\n');
}

export interface HelpInput {
  usage: string;
  summary: string;
  description?: string;
  options: OptionDefs;
  examples?: string[];
}

export function commandHelp(input: HelpInput): string {
  return [
    `Usage: ${input.usage}`,
    '',
    input.summary,
    ...(input.description ? ['', input.description] : []),
    '',
    'Options:',
    formatOptions(input.options),
    '',
    'Global options:',
    formatOptions(GLOBAL_OPTIONS),
    ...(input.examples?.length ? ['', 'Examples:', ...input.examples.map((example) => `  ${example}`)] : []),
    '',
    EXIT_CODE_HELP,
    '',
  ].join('\n');
}
