/**
 * Our own words beside a provider's answer, where the provider's body must stay the provider's:
 * why an answer is what it is (a spawn that failed because the program is not there). The HTTP
 * request log prints it; a client may read it; no SDK looks at it.
 */
export const REASON_HEADER = 'x-emulator-reason';
