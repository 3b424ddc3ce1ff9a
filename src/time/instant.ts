// Instants and durations: milliseconds as numbers (fractions allowed), counted
// from the clock's own epoch. Only src/time/clock.ts and the driver read real time.

/** A point in time, in milliseconds since the clock's epoch. */
export type Instant = number;
/** A span of time in milliseconds. */
export type Duration = number;

export const NEVER: Instant = Number.POSITIVE_INFINITY;

export const seconds = (s: number): Duration => s * 1000;
