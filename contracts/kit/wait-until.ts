/**
 * Polls until `check` returns a value, for the few states an API offers no event for (a process
 * status after a stop, say). Bounded: it gives up after `timeoutMs` and says what it waited for.
 */
export async function waitUntil<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 10_000, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting ${timeoutMs} ms for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
