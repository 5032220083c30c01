import type { StdinLimits } from './core/managed-process.ts';
import { Activity } from './core/activity.ts';
import { createE2bProvider } from './providers/e2b/index.ts';
import { sweepOrphanedTrees } from './core/process-tree.ts';
import { createTempRoot, removeTempRoot, sweepStaleRoots } from './core/temp-root.ts';
import { createAgentBoxProvider } from './providers/agentbox/index.ts';
import { createBlaxelProvider } from './providers/blaxel/index.ts';
import { PROVIDER_NAMES, type AgentBoxPool, type Fidelity, type Provider, type ProviderName, type ProviderOptions, type SandboxPorts } from './providers/provider.ts';
import { createTensorlakeProvider } from './providers/tensorlake/index.ts';
import { dispatch, streamsRequestBody, type Mount } from './openapi/pipeline.ts';
import { type EmuRequest, type EmuResponse, type UrlBuilder } from './kernel/exchange.ts';
import type { ResponseViolation } from './openapi/response-validator.ts';
import { DEFAULT_SPECS_DIR } from './openapi/specs-dir.ts';

export interface AppOptions {
  /** Providers to serve. Default: all three. */
  providers?: readonly ProviderName[];
  /** Per-provider credential; when set, requests without it get that provider's 401. Default: none (auth off). */
  tokens?: Partial<Record<ProviderName, string>>;
  /** Default 'spec'. */
  fidelity?: Fidelity;
  /** Quirks turned on one by one, whatever the fidelity. */
  quirks?: readonly string[];
  /**
   * A response that breaks its spec becomes a loud 500 when true. Default: true, so that an
   * emulator bug can never pass for provider behaviour.
   */
  strict?: boolean;
  /** Overrides every provider's own per-stream output limit. */
  outputCapBytes?: number;
  stopGraceMs?: number;
  /** Most processes running at once per sandbox. Default: 1024. */
  maxProcesses?: number;
  /**
   * Most sandboxes per provider. Default: 1000; past it, making one more (a create, or the first
   * request naming a new Blaxel or Tensorlake sandbox) gets the provider's 500 saying so.
   */
  maxSandboxes?: number;
  /** Finished processes kept listed per sandbox, the oldest forgotten first. Default: 1000. */
  maxFinishedProcesses?: number;
  /**
   * Stdin waiting for a process to read: at most 4 MiB, and a write the process has not read
   * in 10 s fails with the provider's error. Default: DEFAULT_STDIN_LIMITS.
   */
  stdinLimits?: StdinLimits;
  pools?: AgentBoxPool[];
  /** Largest file the providers' file APIs accept, in bytes. Default: 1 GiB (DEFAULT_MAX_FILE_BYTES). */
  maxFileBytes?: number;
  /** Where the OpenAPI documents are. Default: the project's specs/. */
  specsDir?: string;
  /** Called for every response that breaks the spec (strict or not). Default: print to stderr. */
  onViolation?: (violation: ResponseViolation) => void;
}

/**
 * Sees a request before the pipeline. It may answer (a recorded fixture), or call `next()` to
 * get the emulator's own answer and change it (a fault), or return undefined to pass.
 */
export type Interceptor = (call: {
  mountId: string;
  vars: Record<string, string>;
  request: EmuRequest;
  mount: Mount;
  next: () => Promise<EmuResponse>;
}) => Promise<EmuResponse | undefined> | EmuResponse | undefined;

const FACTORIES: Record<ProviderName, (options: ProviderOptions) => Promise<Provider>> = {
  blaxel: createBlaxelProvider,
  tensorlake: createTensorlakeProvider,
  agentbox: createAgentBoxProvider,
  e2b: createE2bProvider,
};

export { DEFAULT_SPECS_DIR };

/**
 * The emulator without a transport: providers, their mounts and the request pipeline.
 * The HTTP server and the msw handlers are both thin adapters over one of these.
 */
export class EmulatorApp {
  readonly violations: ResponseViolation[] = [];
  private readonly mounts = new Map<string, Mount>();
  private readonly interceptors: Interceptor[] = [];
  private closed = false;

  private constructor(
    readonly options: AppOptions,
    readonly providers: Provider[],
    /** The temporary folder every sandbox's folder is made in. */
    readonly root: string,
    /** Sandboxes and processes as they come and go, for watchers such as the web view. */
    readonly activity: Activity,
  ) {
    for (const provider of providers) for (const mount of provider.mounts) this.mounts.set(mount.id, mount);
  }

  static async create(options: AppOptions = {}): Promise<EmulatorApp> {
    const names = options.providers ?? PROVIDER_NAMES;
    // Roots left by emulators that died without cleaning up go first, or they pile up in /tmp.
    await sweepStaleRoots();
    // And what they left running: processes whose emulator is gone (see process-tree.ts).
    sweepOrphanedTrees();
    const root = await createTempRoot();
    const activity = new Activity();
    const providers: Provider[] = [];
    try {
      for (const name of names) {
        const factory = FACTORIES[name];
        if (!factory) throw new Error(`Failed to start the emulator: unknown provider '${name}'. Use one of ${PROVIDER_NAMES.join(', ')}.`);
        providers.push(
          await factory({
            root,
            specsDir: options.specsDir ?? DEFAULT_SPECS_DIR,
            fidelity: options.fidelity ?? 'spec',
            quirks: options.quirks,
            outputCapBytes: options.outputCapBytes,
            stopGraceMs: options.stopGraceMs,
            maxProcesses: options.maxProcesses,
            maxSandboxes: options.maxSandboxes,
            maxFinishedProcesses: options.maxFinishedProcesses,
            stdinLimits: options.stdinLimits,
            maxFileBytes: options.maxFileBytes,
            pools: options.pools,
            activity,
          }),
        );
      }
    } catch (error) {
      await Promise.all(providers.map((p) => p.close()));
      await removeTempRoot(root);
      throw error;
    }
    return new EmulatorApp(options, providers, root, activity);
  }

  /** The provider's proxy to its sandboxes' own servers, when it has one (E2B's getHost). */
  sandboxPorts(provider: ProviderName): SandboxPorts | undefined {
    return this.providers.find((p) => p.name === provider)?.sandboxPorts;
  }

  has(mountId: string): boolean {
    return this.mounts.has(mountId);
  }

  mount(mountId: string): Mount | undefined {
    return this.mounts.get(mountId);
  }

  /**
   * True when the request reaches an operation that streams its body (see streamsRequestBody):
   * the transport then hands the body over unread instead of reading it whole first.
   */
  streamsBody(mountId: string, method: string, path: string): boolean {
    const route = this.mounts.get(mountId)?.router.route(method, path);
    return route?.kind === 'matched' && streamsRequestBody(route.match);
  }

  /**
   * Adds an interceptor, consulted before the pipeline for every request: the first one that
   * answers wins (fixture replay, fault injection). Returns a function that removes it.
   */
  intercept(interceptor: Interceptor): () => void {
    this.interceptors.push(interceptor);
    return () => {
      const at = this.interceptors.indexOf(interceptor);
      if (at !== -1) this.interceptors.splice(at, 1);
    };
  }

  /** Serves one request on one mount. Never throws: faults become the provider's 500. */
  async handle(mountId: string, vars: Record<string, string>, request: EmuRequest, urlFor: UrlBuilder): Promise<EmuResponse> {
    const mount = this.mounts.get(mountId);
    if (!mount) throw new Error(`Failed to route: no mount '${mountId}'.`);
    try {
      // A copy: an interceptor removed or added while this request runs does not change its chain.
      return await this.runFrom(0, { interceptors: [...this.interceptors], mount, mountId, vars, request, urlFor });
    } catch (error) {
      return mount.dialect.internalError(undefined, (error as Error).message);
    }
  }

  /**
   * Each interceptor's next() runs the ones after it, then the pipeline: a fault added before a
   * fixture's replay acts on the replayed answer. An interceptor that passes at once (no fault
   * rule matches) costs no await.
   */
  private async runFrom(from: number, call: Chain): Promise<EmuResponse> {
    const { interceptors, mount, mountId, vars, request } = call;
    for (let i = from; i < interceptors.length; i++) {
      const pending = interceptors[i]({ mountId, vars, request, mount, next: this.nextAfter(i, call) });
      const answer = isPromiseLike(pending) ? await pending : pending;
      if (answer) return answer;
    }
    return this.dispatchTo(mount, vars, request, call.urlFor);
  }

  // Made here rather than named inline: tsx names every named closure it compiles (a
  // defineProperty each), which showed in the profile of a simple GET.
  private nextAfter(i: number, call: Chain): () => Promise<EmuResponse> {
    return () => this.runFrom(i + 1, call);
  }

  /** Records a violation and reports it; one function for every request. */
  private readonly onViolation = (v: ResponseViolation): void => {
    this.violations.push(v);
    (this.options.onViolation ?? printViolation)(v);
  };

  private async dispatchTo(mount: Mount, vars: Record<string, string>, request: EmuRequest, urlFor: UrlBuilder): Promise<EmuResponse> {
    try {
      return await dispatch(mount, request, {
        vars,
        urlFor,
        token: this.options.tokens?.[mount.provider as ProviderName],
        strict: this.options.strict ?? true,
        onViolation: this.onViolation,
      });
    } catch (error) {
      return mount.dialect.internalError(undefined, (error as Error).message);
    }
  }

  /** Ends every process and forgets every sandbox; the app stays usable (msw between tests). */
  async reset(): Promise<void> {
    await Promise.all(this.providers.map((p) => p.reset()));
    this.violations.length = 0;
  }

  /** Ends every process the emulator started and removes its temporary root. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.providers.map((p) => p.close()));
    await removeTempRoot(this.root);
  }
}

/** One request on its way through the interceptors. */
interface Chain {
  interceptors: Interceptor[];
  mount: Mount;
  mountId: string;
  vars: Record<string, string>;
  request: EmuRequest;
  urlFor: UrlBuilder;
}

function isPromiseLike<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as PromiseLike<T> | undefined)?.then === 'function';
}

function printViolation(v: ResponseViolation): void {
  process.stderr.write(`[sandbox-emulator] spec violation: ${v.operationId} ${v.status}${v.mediaType ? ` ${v.mediaType}` : ''}: ${v.message}\n`);
}
