import { toIsoDate } from '../domain/dates.js';

/** Time as a dependency, so retention and classification can be tested with a fake clock. */
export type Clock = { now(): Date };
export const systemClock: Clock = { now: () => new Date() };

export function nowIso(clock: Clock): string {
  return clock.now().toISOString();
}
export function today(clock: Clock): string {
  return toIsoDate(clock.now());
}

/** A clock for tests that moves only when told. */
export function fakeClock(start: string | Date): Clock & { set(d: string | Date): void; advanceDays(n: number): void } {
  let t = new Date(start);
  return {
    now: () => new Date(t),
    set: (d) => (t = new Date(d)),
    advanceDays: (n) => (t = new Date(t.getTime() + n * 86_400_000)),
  };
}
