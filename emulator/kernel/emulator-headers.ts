// The emulator's own headers beside a provider's answer, where the provider's body must stay the
// provider's. Providers set them; the HTTP request log prints them; no SDK looks at them.

/**
 * Why an answer is what it is, in our words (a spawn that failed because the program is not
 * there), where the provider's body says only that it failed.
 */
export const REASON_HEADER = 'x-emulator-reason';

/**
 * Where an answer says that the output it carries is not all the process wrote. Tensorlake's
 * captured output and AgentBox's exec have no field for it, and the emulator keeps at most a cap
 * per stream (oldest bytes first out), so without this a cut answer would pass for a whole one.
 * The value is the number of bytes dropped, from the start, of the streams in the answer; the
 * header is absent when nothing was.
 */
export const DROPPED_HEADER = 'x-emulator-output-dropped';
