import { randomUUID } from 'node:crypto';
import functions, { type LogLevel, type Timer, type TimerHandler } from '@azure/functions';

const { InvocationContext } = functions;

/** One timer-triggered function: `app.timer` registers it under the Functions host, the local scheduler runs it under `npm start`. */
export interface TimerDefinition {
  name: string;
  /** NCRONTAB, six fields: second minute hour day month day-of-week (UTC). */
  schedule: string;
  handler: TimerHandler;
}

const FIELD_RANGES: readonly [number, number][] = [
  [0, 59],
  [0, 59],
  [0, 23],
  [1, 31],
  [1, 12],
  [0, 6],
];

/** The values one NCRONTAB field allows: `*`, `n`, `a-b`, `*\/s`, `a-b/s` and comma lists of these. */
function parseField(field: string, [low, high]: [number, number]): Set<number> {
  const values = new Set<number>();
  for (const part of field.split(',')) {
    const match = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
    if (!match) throw new Error(`unsupported NCRONTAB field "${field}"`);
    const from = match[1] === '*' ? low : Number(match[2]);
    const to = match[1] === '*' ? high : match[3] !== undefined ? Number(match[3]) : match[4] !== undefined ? high : from;
    const step = match[4] !== undefined ? Number(match[4]) : 1;
    if (from < low || to > high || from > to || step < 1) throw new Error(`NCRONTAB field "${field}" is out of range ${low}-${high}`);
    for (let value = from; value <= to; value += step) values.add(value);
  }
  return values;
}

/** The first time strictly after `after` that the six-field NCRONTAB schedule fires (UTC). */
export function nextOccurrence(schedule: string, after: Date): Date {
  const fields = schedule.trim().split(/\s+/);
  if (fields.length !== 6) throw new Error(`expected six NCRONTAB fields, got "${schedule}"`);
  const [seconds, minutes, hours, days, months, weekdays] = fields.map((field, index) => parseField(field, FIELD_RANGES[index] as [number, number]));
  const candidate = new Date(Math.floor(after.getTime() / 1000) * 1000 + 1000);
  // At most a year of minutes; every schedule we accept fires within that.
  for (let step = 0; step < 366 * 24 * 60; step += 1) {
    const minuteMatches =
      minutes!.has(candidate.getUTCMinutes()) &&
      hours!.has(candidate.getUTCHours()) &&
      days!.has(candidate.getUTCDate()) &&
      months!.has(candidate.getUTCMonth() + 1) &&
      weekdays!.has(candidate.getUTCDay());
    if (minuteMatches) {
      const second = [...seconds!].sort((a, b) => a - b).find((value) => value >= candidate.getUTCSeconds());
      if (second !== undefined) {
        candidate.setUTCSeconds(second);
        return candidate;
      }
    }
    candidate.setUTCSeconds(0);
    candidate.setUTCMinutes(candidate.getUTCMinutes() + 1);
  }
  throw new Error(`NCRONTAB schedule "${schedule}" never fires`);
}

export interface RunningScheduler {
  stop(): void;
}

/**
 * Runs the timer table in the local host the way the Functions host would: each timer at its next
 * NCRONTAB occurrence, one run at a time per timer, failures logged and the schedule kept.
 */
export function startLocalScheduler(
  timers: readonly TimerDefinition[],
  log: (level: LogLevel, message: string) => void,
  now: () => Date = () => new Date(),
): RunningScheduler {
  const handles = new Map<string, NodeJS.Timeout>();
  const arm = (timer: TimerDefinition) => {
    const next = nextOccurrence(timer.schedule, now());
    const handle = setTimeout(
      async () => {
        const invocation = new InvocationContext({
          invocationId: randomUUID(),
          functionName: timer.name,
          logHandler: (level, ...args) => log(level, `${timer.name}: ${args.map(String).join(' ')}`),
        });
        const info: Timer = {
          isPastDue: false,
          schedule: { adjustForDST: false },
          scheduleStatus: { last: now().toISOString(), next: next.toISOString(), lastUpdated: now().toISOString() },
        };
        try {
          await timer.handler(info, invocation);
        } catch (error) {
          log('error', `${timer.name} failed: ${error instanceof Error ? error.message : String(error)}`);
        }
        if (handles.has(timer.name)) arm(timer);
      },
      Math.max(0, next.getTime() - now().getTime()),
    );
    handle.unref();
    handles.set(timer.name, handle);
  };
  for (const timer of timers) arm(timer);
  return {
    stop: () => {
      for (const handle of handles.values()) clearTimeout(handle);
      handles.clear();
    },
  };
}
