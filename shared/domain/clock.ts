/** The injectable clock: services take it so tests can move time (7-day passcode rule, expiries). */
export type Clock = () => Date;

export const systemClock: Clock = () => new Date();
