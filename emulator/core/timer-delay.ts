/** The longest delay Node's timers take; a longer one overflows and fires after 1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A delay a timer can hold: clients may ask for timeouts of years, which setTimeout would turn
 * into "now" (with a TimeoutOverflowWarning). Capped at about 24.8 days, which no test outlives.
 */
export function timerDelay(ms: number): number {
  return Math.min(Math.max(0, ms), MAX_TIMER_MS);
}
