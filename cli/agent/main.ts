import { GraphApiError, MfaRequiredError, ServiceUnreachableError } from '../client/errors.js';
import { commandHelp, parseCommandArgs, UsageError } from './args.js';
import { ADMIN_COMMANDS } from './admin-commands.js';
import type { CommandDef } from './command.js';
import { CommandContext, processIo, type AgentIo } from './context.js';
import { DEVICE_COMMANDS } from './device-commands.js';
import { SIGN_IN_COMMANDS } from './sign-in-commands.js';
import { NotSignedInError } from './sign-in-session.js';
import { SignInError } from '../client/sign-in.js';
import { EXIT, EXIT_CODE_HELP, type ExitCode } from './exit-codes.js';
import { StateError } from './state.js';

export const COMMANDS: readonly CommandDef[] = [...SIGN_IN_COMMANDS, ...DEVICE_COMMANDS, ...ADMIN_COMMANDS];

const PROGRAM = 'pinreset-agent';

function usageOf(command: CommandDef): string {
  return `${PROGRAM} ${command.path.join(' ')}${command.args ? ` ${command.args}` : ''} [options]`;
}

export function helpFor(command: CommandDef): string {
  return commandHelp({ usage: usageOf(command), summary: command.summary, ...(command.description ? { description: command.description } : {}), options: command.options, ...(command.examples ? { examples: command.examples } : {}) });
}

export function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.path.join(' ').length + (c.args ? c.args.length + 1 : 0))) + 2;
  const line = (c: CommandDef) => `  ${`${c.path.join(' ')}${c.args ? ` ${c.args}` : ''}`.padEnd(width)}${c.summary}`;
  return [
    `Usage: ${PROGRAM} <command> [options]`,
    '',
    'The device agent of the PIN reset service: the client half of Windows Hello for Business',
    'non-destructive PIN reset and of Intune-style passcode reset, plus admin helpers.',
    '',
    'Sign-in commands:',
    ...SIGN_IN_COMMANDS.map(line),
    '',
    'Device commands:',
    ...DEVICE_COMMANDS.map(line),
    '',
    'Admin commands (sign in as an admin: a directory role such as Global Administrator, or PinReset.Administrator):',
    ...ADMIN_COMMANDS.map(line),
    '',
    `Run '${PROGRAM} <command> --help' for a command's options.`,
    '',
    'Environment: PINRESET_URL, PINRESET_AGENT_STATE, PINRESET_TENANT, PINRESET_TOKEN, PINRESET_ADMIN_TOKEN.',
    '',
    EXIT_CODE_HELP,
    '',
  ].join('\n');
}

/** Longest command path that prefixes argv (so `admin devices x` is `admin devices` + `x`). */
function findCommand(argv: readonly string[]): { command: CommandDef; rest: string[] } | undefined {
  const matches = COMMANDS.filter((command) => command.path.every((word, i) => argv[i] === word));
  const command = matches.sort((a, b) => b.path.length - a.path.length)[0];
  return command ? { command, rest: argv.slice(command.path.length) } : undefined;
}

function errorJson(code: string, message: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ error: { code, message, ...extra } }, null, 2);
}

/**
 * Runs the agent with `argv` (without node and the script). Never throws: every failure becomes a
 * message on stderr (and a JSON error on stdout with --json) and an exit code.
 */
export async function runAgent(argv: readonly string[], io: AgentIo = processIo): Promise<ExitCode> {
  const wantsJson = argv.includes('--json');
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    const topic = argv[0] === 'help' ? findCommand(argv.slice(1)) : undefined;
    io.stdout(topic ? helpFor(topic.command) : mainHelp());
    return argv.length === 0 ? EXIT.usage : EXIT.ok;
  }
  const found = findCommand(argv);
  if (!found) {
    const group = argv[0] === 'admin' ? ADMIN_COMMANDS.map((c) => c.path.join(' ')).join(', ') : COMMANDS.map((c) => c.path.join(' ')).join(', ');
    if (argv[0] === 'admin' && (argv[1] === undefined || argv[1] === '--help' || argv[1] === '-h')) {
      io.stdout(mainHelp());
      return argv[1] === undefined ? EXIT.usage : EXIT.ok;
    }
    io.stderr(`${PROGRAM}: unknown command '${argv.slice(0, argv[0] === 'admin' ? 2 : 1).join(' ')}'. Commands: ${group}.\nRun '${PROGRAM} --help'.`);
    if (wantsJson) io.stdout(errorJson('UsageError', `unknown command '${argv[0]}'`));
    return EXIT.usage;
  }
  const { command, rest } = found;
  try {
    const { values, positionals } = parseCommandArgs(rest, command.options, command.path.join(' '));
    if (values.help === true) {
      io.stdout(helpFor(command));
      return EXIT.ok;
    }
    if (positionals.length < (command.minPositionals ?? 0) || positionals.length > (command.maxPositionals ?? 0)) {
      throw new UsageError(positionals.length > (command.maxPositionals ?? 0) ? `Unexpected argument '${positionals[command.maxPositionals ?? 0]}'.` : `Missing argument: ${command.args ?? ''}.`);
    }
    return await command.run(new CommandContext(io, values, positionals));
  } catch (error) {
    return reportError(error, io, wantsJson, command);
  }
}

function reportError(error: unknown, io: AgentIo, json: boolean, command: CommandDef): ExitCode {
  if (error instanceof UsageError) {
    io.stderr(`${PROGRAM} ${command.path.join(' ')}: ${error.message}\nUsage: ${usageOf(command)}  (--help for details)`);
    if (json) io.stdout(errorJson('UsageError', error.message));
    return EXIT.usage;
  }
  if (error instanceof StateError) {
    io.stderr(error.message);
    if (json) io.stdout(errorJson('NotEnrolled', error.message));
    return EXIT.notEnrolled;
  }
  if (error instanceof GraphApiError) {
    const isMfa = error instanceof MfaRequiredError;
    const retry = error.retryAfterSeconds === undefined ? '' : `; retry after ${error.retryAfterSeconds} s`;
    io.stderr(`The service answered ${error.status} ${error.code}: ${error.message} (request-id ${error.requestId ?? '-'}${retry})`);
    if (json) io.stdout(errorJson(error.code, error.message, { status: error.status, requestId: error.requestId ?? null, retryAfterSeconds: error.retryAfterSeconds ?? null }));
    return isMfa ? EXIT.mfaRequired : EXIT.serviceError;
  }
  if (error instanceof NotSignedInError || error instanceof SignInError) {
    const next = error instanceof SignInError ? '\nTry again: pinreset-agent login' : '';
    io.stderr(`${error.message}${next}`);
    if (json) io.stdout(errorJson(error instanceof SignInError ? 'SignInFailed' : 'NotSignedIn', error.message, error instanceof SignInError ? { oauthError: error.error ?? null } : {}));
    return EXIT.signInRequired;
  }
  if (error instanceof ServiceUnreachableError) {
    io.stderr(error.message);
    if (json) io.stdout(errorJson('ServiceUnreachable', error.message));
    return EXIT.serviceError;
  }
  const message = error instanceof Error ? error.message : String(error);
  io.stderr(`${PROGRAM} ${command.path.join(' ')} failed: ${message}`);
  if (json) io.stdout(errorJson('AgentError', message));
  return EXIT.serviceError;
}
