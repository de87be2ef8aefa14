import { describe, expect, it } from 'vitest';
import { TIMERS } from '../../functions/timers.js';
import { nextOccurrence, startLocalScheduler } from '../../shared/http/local-scheduler.js';

const at = (iso: string) => new Date(iso);

describe('NCRONTAB next occurrence (the local host runs the timer table like the Functions host)', () => {
  it('finds the next quarter hour for 0 */15 * * * *', () => {
    expect(nextOccurrence('0 */15 * * * *', at('2026-11-22T10:07:31Z')).toISOString()).toBe('2026-11-22T10:15:00.000Z');
    expect(nextOccurrence('0 */15 * * * *', at('2026-11-22T10:15:00Z')).toISOString()).toBe('2026-11-22T10:30:00.000Z');
  });

  it('rolls over the hour, the day and the year', () => {
    expect(nextOccurrence('0 23 * * * *', at('2026-11-22T10:23:00.500Z')).toISOString()).toBe('2026-11-22T11:23:00.000Z');
    expect(nextOccurrence('0 0 3 * * *', at('2026-12-31T03:00:01Z')).toISOString()).toBe('2027-01-01T03:00:00.000Z');
  });

  it('honours seconds, lists, ranges and the day of the week', () => {
    expect(nextOccurrence('30 * * * * *', at('2026-11-22T10:07:31Z')).toISOString()).toBe('2026-11-22T10:08:30.000Z');
    expect(nextOccurrence('0 0 9 * * 1-5', at('2026-11-21T12:00:00Z')).toISOString()).toBe('2026-11-23T09:00:00.000Z'); // Saturday → Monday
    expect(nextOccurrence('0 0,30 8 * * *', at('2026-11-22T08:10:00Z')).toISOString()).toBe('2026-11-22T08:30:00.000Z');
  });

  it('refuses schedules it cannot read instead of never firing', () => {
    expect(() => nextOccurrence('*/5 * * * *', new Date())).toThrow(/six NCRONTAB fields/);
    expect(() => nextOccurrence('0 61 * * * *', new Date())).toThrow(/out of range/);
    expect(() => nextOccurrence('0 0 0 31 2 *', new Date())).toThrow(/never fires/);
  });

  it('can schedule every timer of the timer table', () => {
    for (const timer of TIMERS) expect(nextOccurrence(timer.schedule, new Date()).getTime()).toBeGreaterThan(Date.now());
  });
});

describe('the local scheduler', () => {
  it('runs a timer at its occurrences, logs a failure and keeps the schedule', async () => {
    const calls: string[] = [];
    const logged: string[] = [];
    let resolveSecond: () => void = () => undefined;
    const second = new Promise<void>((resolve) => {
      resolveSecond = resolve;
    });
    const scheduler = startLocalScheduler(
      [
        {
          name: 'everySecond',
          schedule: '* * * * * *',
          handler: async (timer, invocation) => {
            calls.push(`${invocation.functionName} pastDue=${timer.isPastDue}`);
            if (calls.length === 1) throw new Error('first run fails');
            resolveSecond();
          },
        },
      ],
      (level, message) => logged.push(`${level} ${message}`),
    );
    try {
      await second;
    } finally {
      scheduler.stop();
    }
    expect(calls.slice(0, 2)).toEqual(['everySecond pastDue=false', 'everySecond pastDue=false']);
    expect(logged).toContain('error everySecond failed: first run fails');
  });
});
