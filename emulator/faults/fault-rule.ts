/**
 * A fault to inject into the emulator's answers: from a fixture's `faults:` section, the
 * programmatic API, or the CLI. Every field of `match` that is given must match; an empty
 * match applies to every request.
 */
export interface FaultRule {
  match?: {
    provider?: string;
    mountId?: string;
    operationId?: string;
    /** HTTP method, any case. */
    method?: string;
    /** A regular expression tested against the path below the mount, e.g. '/process/.+/logs/stream$'. */
    path?: string;
  };
  /** Added delay, in milliseconds, before the answer starts. */
  latencyMs?: number;
  /** The answer's status is replaced by this one; its body is kept. */
  status?: number;
  /** The connection is dropped without an answer. */
  reset?: boolean;
  /** A streamed answer is cut (the connection dropped) after this many frames. */
  cutAfterFrames?: number;
  /** Applies to the first N matching requests only. Default: every matching request. */
  times?: number;
}
