import { createInterface } from 'node:readline/promises';
import { UsageError } from './args.js';
import type { CommandContext } from './context.js';

/** Asks one question on the terminal; undefined when stdin is not a terminal (a script, a pipe). */
export async function askOnTerminal(question: string): Promise<string | undefined> {
  if (!process.stdin.isTTY) return undefined;
  const terminal = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await terminal.question(question);
  } finally {
    terminal.close();
  }
}

/** Thrown when the user did not type the confirmation: nothing was changed. */
export class NotConfirmedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotConfirmedError';
  }
}

/**
 * A destructive command goes on only when the user types `expected` (or passed --yes). Without a
 * terminal to ask on it refuses rather than guess: scripts say --yes.
 */
export async function confirmTyped(context: CommandContext, input: { what: string; expected: string }): Promise<void> {
  if (context.values.yes === true) return;
  const ask = context.io.ask ?? askOnTerminal;
  const answer = await ask(`${input.what}\nType ${input.expected} to confirm (or pass --yes): `);
  if (answer === undefined) {
    throw new UsageError(`${input.what}\nNot confirmed: there is no terminal to ask on. Pass --yes to go ahead without confirmation.`);
  }
  if (answer.trim() !== input.expected) throw new NotConfirmedError(`Not confirmed (expected ${input.expected}): nothing was changed.`);
}

export const YES_OPTION = {
  yes: { type: 'boolean' as const, short: 'y', description: 'Do not ask for confirmation.' },
};
