// Departures the fuzzing found that are not fixed yet, each with the input that shows it and the
// fix proposed. The robustness suites tolerate exactly these answers (and count them), so that
// everything else stays checked. Every finding so far is fixed, and `known-findings.test.ts`
// keeps each pinned by a single request; a new one goes here (with its pinning test as
// `it.fails`) until its fix lands.

import type { ResponseViolation } from '../openapi/response-validator.ts';
import type { Exchange } from './http-fuzz.ts';

export interface KnownFinding {
  id: string;
  /** What goes wrong, and where the fix belongs. */
  what: string;
  /** True when this exchange's problem is this finding (and nothing else). */
  explains(exchange: Exchange): boolean;
  /** True when a recorded spec violation is the one this finding causes. */
  explainsViolation?(violation: ResponseViolation): boolean;
}

export const KNOWN_FINDINGS: KnownFinding[] = [];

/** The finding that explains an exchange's answer, if any. */
export function knownFindingOf(exchange: Exchange): KnownFinding | undefined {
  return KNOWN_FINDINGS.find((f) => f.explains(exchange));
}
