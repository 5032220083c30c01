import { setTimeout as delay } from 'node:timers/promises';
import type { EmulatorApp, Interceptor } from '../app.ts';
import type { Mount } from '../openapi/pipeline.ts';
import type { EmuRequest, EmuResponse } from '../kernel/exchange.ts';
import { checkFaultRule } from './check-fault-rule.ts';
import type { FaultRule } from './fault-rule.ts';

/** The faults in force on one app; rules apply from the next request on. */
export interface FaultController {
  /** Checks and adds a rule; returns a function that removes it (its use count with it). */
  add(rule: FaultRule): () => void;
  /** Removes every rule. */
  clear(): void;
  /** The rules added and not removed, in order; spent ones (`times` used up) included. */
  readonly rules: readonly FaultRule[];
}

interface Entry {
  rule: FaultRule;
  path?: RegExp;
  /** Requests this rule has applied to, for `times`. */
  used: number;
}

/** What the matching rules of one request add up to. */
interface Effect {
  latencyMs: number;
  reset: boolean;
  status?: number;
  cutAfterFrames?: number;
}

/** No status reaches the client: the transport drops the connection instead of answering. */
const RESET: EmuResponse = { status: 0, headers: {}, fault: { kind: 'reset' } };

/**
 * Injects faults into the app's answers, as one app interceptor. Every rule that matches a
 * request applies (each one counting a use), in the order added: latencies add up, a reset
 * wins over everything but the latency, the last status wins, the shortest cut wins. A rule
 * with only a latency delays the request and then lets it pass, so an interceptor added after
 * this one (a fixture replay) still answers it.
 */
export function installFaults(app: EmulatorApp, rules: readonly FaultRule[] = []): FaultController {
  let entries: Entry[] = [];
  const add = (rule: FaultRule): (() => void) => {
    checkFaultRule(rule);
    const entry: Entry = { rule, path: rule.match?.path === undefined ? undefined : new RegExp(rule.match.path), used: 0 };
    entries.push(entry);
    return () => {
      entries = entries.filter((e) => e !== entry);
    };
  };
  for (const rule of rules) add(rule);

  const applyFaults: Interceptor = async ({ mountId, request, mount, next }) => {
    const effect = effectOf(take(entries, mountId, mount, request));
    if (!effect) return undefined;
    if (effect.latencyMs > 0) {
      try {
        await delay(effect.latencyMs, undefined, { signal: request.signal });
      } catch {
        // The client went away while we held its request: nobody is left to answer.
        return RESET;
      }
    }
    if (effect.reset) return RESET;
    if (effect.status === undefined && effect.cutAfterFrames === undefined) return undefined;
    let response = await next();
    // The answer was validated inside next(); an overridden status is outside the spec on
    // purpose, which is what a provider's fault looks like to the client.
    if (effect.status !== undefined) response = { ...response, status: effect.status };
    if (effect.cutAfterFrames !== undefined && response.body?.kind === 'stream') {
      response = { ...response, fault: { kind: 'cut', afterFrames: effect.cutAfterFrames } };
    }
    return response;
  };
  // With no rule (the usual case) a request passes at once, without a promise to wait for.
  app.intercept((call) => (entries.length === 0 ? undefined : applyFaults(call)));

  return {
    add,
    clear() {
      entries = [];
    },
    get rules() {
      return entries.map((e) => e.rule);
    },
  };
}

/** The rules that apply to this request, each counting one use. */
function take(entries: Entry[], mountId: string, mount: Mount, request: EmuRequest): FaultRule[] {
  // Routing costs a little, so it runs only when a rule names an operation, and once.
  let operationId: string | undefined | null = null;
  const operation = (): string | undefined => {
    if (operationId === null) {
      const route = mount.router.route(request.method, request.path);
      operationId = route.kind === 'matched' ? route.match.operationId : undefined;
    }
    return operationId;
  };
  const hits: FaultRule[] = [];
  for (const entry of entries) {
    const { rule } = entry;
    const match = rule.match ?? {};
    if (rule.times !== undefined && entry.used >= rule.times) continue;
    if (match.provider !== undefined && match.provider !== mount.provider) continue;
    if (match.mountId !== undefined && match.mountId !== mountId) continue;
    if (match.method !== undefined && match.method.toUpperCase() !== request.method.toUpperCase()) continue;
    if (entry.path && !entry.path.test(request.path)) continue;
    if (match.operationId !== undefined && match.operationId !== operation()) continue;
    entry.used++;
    hits.push(rule);
  }
  return hits;
}

function effectOf(rules: FaultRule[]): Effect | undefined {
  if (rules.length === 0) return undefined;
  const effect: Effect = { latencyMs: 0, reset: false };
  for (const rule of rules) {
    effect.latencyMs += rule.latencyMs ?? 0;
    effect.reset ||= rule.reset === true;
    if (rule.status !== undefined) effect.status = rule.status;
    if (rule.cutAfterFrames !== undefined) effect.cutAfterFrames = Math.min(rule.cutAfterFrames, effect.cutAfterFrames ?? Infinity);
  }
  return effect;
}
