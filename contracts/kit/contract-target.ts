/**
 * Something the contract suite can check: the emulator in-process, over HTTP, in its container,
 * or a live provider. One suite, many targets; each target says what it cannot run, and why.
 */
export interface ContractTarget {
  /** inprocess, http, container, live, or the URL given. */
  name: string;
  /** Base URL of a surface (a mount of our specs) on this target, e.g. a Blaxel sandbox's API. */
  baseUrl(mountId: string, vars: Record<string, string>): string;
  fetch: typeof fetch;
  /** Sent with every request: the credential of a live provider, or a configured token. */
  headers?: Record<string, string>;
  /**
   * Scenarios this target does not run, by scenario name, each with the reason printed in the
   * report (e.g. live: 'creating sandboxes costs money').
   */
  skips?: Record<string, string>;
  /** Names the sandbox the suite may use (a live provider's, given by the user). */
  sandbox?: string;
  /**
   * The target's own names for the AgentBox pools a suite asks for by the emulator's names
   * (`default`, or a pool of the suite's `emulator.pools`), e.g. a live provider's pools, given by
   * the user. A name not listed is used as it is. Default: none (the emulator's own names).
   */
  pools?: Record<string, string>;
  close(): Promise<void>;
}
