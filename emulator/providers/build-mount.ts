import { join } from 'node:path';
import { loadSpec, type LoadedSpec } from '../openapi/load-spec.ts';
import type { Mount } from '../openapi/pipeline.ts';
import type { Dialect } from '../kernel/dialect.ts';
import type { Handler } from '../kernel/exchange.ts';
import { ResponseValidator } from '../openapi/response-validator.ts';
import { SpecRouter } from '../openapi/spec-router.ts';
import type { ProviderName } from './provider.ts';

export interface MountDefinition {
  id: string;
  provider: ProviderName;
  specsDir: string;
  /** File name inside specsDir, e.g. 'blaxel.yaml'. */
  specFile: string;
  /** Keeps only the paths this mount serves when a document holds several surfaces. */
  pathFilter?: (path: string) => boolean;
  dialect: Dialect;
  handlers: Record<string, Handler>;
  authenticate?(headers: Record<string, string>, token: string): boolean;
}

// Documents are read, and routers built, once per process: building a router compiles every
// validator of the document, and a test run starts many emulators over the same documents.
const specCache = new Map<string, Promise<LoadedSpec>>();
const routerCache = new Map<string, Promise<SpecRouter>>();

export function loadSpecCached(file: string): Promise<LoadedSpec> {
  let spec = specCache.get(file);
  if (!spec) {
    spec = loadSpec(file);
    specCache.set(file, spec);
    spec.catch(() => specCache.delete(file));
  }
  return spec;
}

/**
 * Builds a mount from its document and its handlers, and refuses to build one that leaves an
 * operation of the document without a handler: every operation in our specs is served.
 */
export async function buildMount(definition: MountDefinition): Promise<Mount> {
  const file = join(definition.specsDir, definition.specFile);
  const spec = await loadSpecCached(file);
  // One mount id serves one surface of one document, so (file, id) identifies the filter.
  const key = `${file}#${definition.id}`;
  let building = routerCache.get(key);
  if (!building) {
    building = SpecRouter.create(spec, { pathFilter: definition.pathFilter });
    routerCache.set(key, building);
    building.catch(() => routerCache.delete(key));
  }
  const router = await building;
  const missing = router.operationIds.filter((id) => !definition.handlers[id]);
  if (missing.length > 0) {
    throw new Error(`Failed to build the ${definition.id} mount: no handler for ${missing.join(', ')}. Add them to the provider.`);
  }
  return {
    id: definition.id,
    provider: definition.provider,
    router,
    validator: new ResponseValidator(spec),
    dialect: definition.dialect,
    handlers: definition.handlers,
    authenticate: definition.authenticate,
  };
}
