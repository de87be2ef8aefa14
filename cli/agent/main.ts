import { GraphApiError, MfaRequiredError, ServiceUnreachableError } from '../client/errors.js';
import { isGuid } from '../../shared/domain/tenant.js';
import { commandHelp, formatOptions, GLOBAL_OPTIONS, parseCommandArgs, UsageError } from './args.js';
import { NotConfirmedError } from './confirm.js';
import { ADMIN_COMMANDS } from './admin-commands.js';
import type { CommandDef } from './command.js';
import { CommandContext, processIo, type AgentIo } from './context.js';
import { DEVICE_COMMANDS } from './device-commands.js';
import { SIGN_IN_COMMANDS } from './sign-in-commands.js';
import { NotSignedInError } from './sign-in-session.js';
import { SignInError } from '../client/sign-in.js';
import { EXIT, EXIT_CODE_HELP, type ExitCode } from './exit-codes.js';
import { StateError } from './state.js';
import { agentVersion } from './version.js';

export const COMMANDS: readonly CommandDef[] = [...SIGN_IN_COMMANDS, ...DEVICE_COMMANDS, ...ADMIN_COMMANDS];

const PROGRAM = 'pinreset-agent';

function usageOf(command: CommandDef): string {
  return `${PROGRAM} ${command.path.join(' ')}${command.args ? ` ${command.args}` : ''} [options]`;
}

export function helpFor(command: CommandDef): string {
  return commandHelp({
    usage: usageOf(command),
    summary: command.summary,
    ...(command.description ? { description: command.description } : {}),
    options: command.options,
    ...(command.examples ? { examples: command.examples } : {}),
  });
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
    'Global options (every command):',
    formatOptions({ ...GLOBAL_OPTIONS, version: { type: 'boolean', short: 'v', description: 'Print the version and exit.' } }),
    '',
    `Run '${PROGRAM} <command> --help' for a command's options.`,
    '',
    'Environment: PINRESET_URL, PINRESET_AGENT_STATE, PINRESET_TENANT, PINRESET_TOKEN, PINRESET_ADMIN_TOKEN;',
    'sign-in: PINRESET_CLOUD, PINRESET_AUTHORITY, PINRESET_CLIENT_ID, PINRESET_SCOPE (see login --help); BROWSER=none.',
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
  if (argv[0] === '--version' || argv[0] === '-v' || argv[0] === 'version') {
    io.stdout(wantsJson ? JSON.stringify({ version: agentVersion() }) : `${PROGRAM} ${agentVersion()}`);
    return EXIT.ok;
  }
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
      throw new UsageError(
        positionals.length > (command.maxPositionals ?? 0)
          ? `Unexpected argument '${positionals[command.maxPositionals ?? 0]}'.`
          : `Missing argument: ${command.args ?? ''}.`,
      );
    }
    checkTenantOption(values, command);
    return await command.run(new CommandContext(io, values, positionals));
  } catch (error) {
    return reportError(error, io, wantsJson, command, { serviceUrl: serviceUrlOf(rest, io), tenant: tenantOf(rest, io) });
  }
}

/** Commands that resolve a domain themselves, as Entra does: onboarding, and signing in. */
const TAKES_TENANT_DOMAIN = new Set(['admin onboard', 'login']);

/**
 * Only `admin onboard` and `login` take a domain (as /onboarding/start does); every other command sends the
 * tenant to the service as an id, so a domain is refused here, naming the option the user wrote,
 * instead of coming back as a service error about a request field the user never saw.
 */
function checkTenantOption(values: Record<string, unknown>, command: CommandDef): void {
  const tenant = typeof values.tenant === 'string' ? values.tenant : undefined;
  if (tenant === undefined || isGuid(tenant) || TAKES_TENANT_DOMAIN.has(command.path.join(' '))) return;
  throw new UsageError(
    `--tenant must be the tenant id (a GUID), not '${tenant}'. The onboarding success page shows it, and so does GET /v1.0/organization?$select=id with a token of the tenant.`,
  );
}

/** Best effort, for hints: the service URL and tenant the command was aimed at. */
function serviceUrlOf(argv: readonly string[], io: AgentIo): string {
  const index = argv.indexOf('--url');
  const flag = index >= 0 ? argv[index + 1] : argv.find((arg) => arg.startsWith('--url='))?.slice(6);
  return (flag || io.env.PINRESET_URL || `http://localhost:${io.env.PORT || 7071}`).replace(/\/+$/, '');
}

function tenantOf(argv: readonly string[], io: AgentIo): string | undefined {
  const index = argv.indexOf('--tenant');
  return (index >= 0 ? argv[index + 1] : undefined) || io.env.PINRESET_TENANT || undefined;
}

/** What to do next, for the service errors a user can act on. */
function nextStep(error: GraphApiError, target: { serviceUrl: string; tenant: string | undefined }): string | undefined {
  if (/not onboarded/i.test(error.message)) {
    // The service names the tenant of the token in its onboarding link; a --tenant the user gave wins.
    const tenant = target.tenant ?? /[?&]tenant=([0-9a-f-]{36})\b/i.exec(error.message)?.[1] ?? '<tenant id>';
    return `Onboard the tenant first: ${PROGRAM} admin onboard --tenant ${tenant}  (or, as an admin in a browser: ${target.serviceUrl}/onboarding/start?tenant=${tenant})`;
  }
  if (error.status === 401 && error.code === 'InvalidAuthenticationToken') {
    return /expired/i.test(error.message)
      ? `The access token has expired: sign in again (${PROGRAM} login), or pass a fresh token with --token.`
      : `Sign in again (${PROGRAM} login), or pass a valid access token for the service with --token.`;
  }
  if (error.status === 403 && error.code === 'Authorization_RequestDenied') {
    return `Sign in as a user who holds one of the roles named above (${PROGRAM} login), or ask an administrator to assign one.`;
  }
  return undefined;
}

function reportError(error: unknown, io: AgentIo, json: boolean, command: CommandDef, target: { serviceUrl: string; tenant: string | undefined }): ExitCode {
  if (error instanceof NotConfirmedError) {
    io.stderr(error.message);
    if (json) io.stdout(errorJson('NotConfirmed', error.message));
    return EXIT.usage;
  }
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
    const next = nextStep(error, target);
    // The request-id stays on the first line, so that a command on a later line can be copied as it is.
    const [first, ...more] = error.message.split('\n');
    io.stderr(
      [`The service answered ${error.status} ${error.code}: ${first} (request-id ${error.requestId ?? '-'}${retry})`, ...more, ...(next ? [next] : [])].join(
        '\n',
      ),
    );
    if (json)
      io.stdout(
        errorJson(error.code, error.message, { status: error.status, requestId: error.requestId ?? null, retryAfterSeconds: error.retryAfterSeconds ?? null }),
      );
    return isMfa ? EXIT.mfaRequired : EXIT.serviceError;
  }
  if (error instanceof NotSignedInError || error instanceof SignInError) {
    const next = error instanceof SignInError ? '\nTry again: pinreset-agent login' : '';
    io.stderr(`${error.message}${next}`);
    if (json)
      io.stdout(
        errorJson(
          error instanceof SignInError ? 'SignInFailed' : 'NotSignedIn',
          error.message,
          error instanceof SignInError ? { oauthError: error.error ?? null } : {},
        ),
      );
    return EXIT.signInRequired;
  }
  if (error instanceof ServiceUnreachableError) {
    io.stderr(`${error.message}\nIs the service running? Start it with npm start, or check PINRESET_URL (or --url): it is ${error.url}.`);
    if (json) io.stdout(errorJson('ServiceUnreachable', error.message));
    return EXIT.serviceError;
  }
  const message = error instanceof Error ? error.message : String(error);
  io.stderr(`${PROGRAM} ${command.path.join(' ')} failed: ${message}`);
  if (json) io.stdout(errorJson('AgentError', message));
  return EXIT.serviceError;
}
