import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { OpenAPIDocument } from './openapi-types.ts';
import { DEFAULT_VALIDATED_CACHE_DIR, readDereferenced, readValidated, rememberDereferenced, rememberValidated, validatedKey } from './validated-cache.ts';

/** swagger-parser, loaded on first need: a start whose documents are all cached needs it not. */
const swaggerParser = async () => (await import('@apidevtools/swagger-parser')).default;

/** A document that could not be read, parsed, validated or dereferenced. */
export class SpecLoadError extends Error {
  constructor(
    readonly file: string,
    readonly fault: string,
  ) {
    // swagger-parser's messages end with a period of their own.
    super(`Failed to load the OpenAPI document ${file}: ${fault.replace(/\.+$/, '')}. Fix the document and load it again.`);
    this.name = 'SpecLoadError';
  }
}

export interface LoadedSpec {
  file: string;
  /** The document as written (refs intact), for drift reports and examples. */
  raw: OpenAPIDocument;
  /** Fully dereferenced: every $ref replaced by the object it points at. */
  document: OpenAPIDocument;
  /** Why the document does not validate, when it was loaded `lenient` all the same. */
  invalid?: string;
}

export interface LoadSpecOptions {
  /**
   * Where documents that validated are remembered, by a hash of their text. Default:
   * node_modules/.cache/sandbox-emulator/validated/ of this project, because validation is most
   * of the cost of a start and the documents rarely change between two. `false`: validate every
   * time.
   */
  cacheDir?: string | false;
  /**
   * Load a document that fails validation all the same, when it still dereferences, with the
   * fault in `invalid`: a provider's published document, which we compare but do not serve.
   * Default false: our own documents must validate.
   */
  lenient?: boolean;
}

/**
 * Reads, validates and fully dereferences one OpenAPI 3.0 or 3.1 document.
 * Validation runs first so that a broken document is refused with the file and the fault,
 * rather than turning into a router with missing routes later on. A text that validated before
 * (the same bytes, the same parser versions) is only dereferenced.
 */
export async function loadSpec(file: string, options: LoadSpecOptions = {}): Promise<LoadedSpec> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new SpecLoadError(file, (error as Error).message);
  }
  const cacheDir = options.cacheDir ?? DEFAULT_VALIDATED_CACHE_DIR;
  const cache = cacheDir === false ? undefined : { dir: cacheDir, key: validatedKey(text) };
  const remembered = cache && (await readValidated(cache.dir, cache.key));
  if (remembered) {
    const dereferenced = await readDereferenced(cache.dir, cache.key);
    if (dereferenced) return { file, raw: remembered as OpenAPIDocument, document: dereferenced as OpenAPIDocument };
    try {
      const document = (await (await swaggerParser()).dereference(structuredClone(remembered) as never)) as unknown as OpenAPIDocument;
      // Kept before anyone else holds it (the router may add to what it is given).
      await rememberDereferenced(cache.dir, cache.key, document);
      return { file, raw: remembered as OpenAPIDocument, document };
    } catch (error) {
      throw new SpecLoadError(file, faultOf(error));
    }
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text, { prettyErrors: true });
  } catch (error) {
    throw new SpecLoadError(file, `it is not valid YAML or JSON (${(error as Error).message})`);
  }
  if (!parsed || typeof parsed !== 'object') {
    throw new SpecLoadError(file, 'it does not hold an object');
  }
  const raw = structuredClone(parsed) as OpenAPIDocument;
  let document: OpenAPIDocument;
  try {
    // validate() dereferences in place as well; give it its own copy so `raw` keeps its refs.
    document = (await (await swaggerParser()).validate(structuredClone(parsed) as never)) as unknown as OpenAPIDocument;
  } catch (error) {
    // Lenient still wants a document it can compare: an OpenAPI version and a map of paths.
    const shape = parsed as { openapi?: unknown; paths?: unknown };
    const comparable = typeof shape.openapi === 'string' && !!shape.paths && typeof shape.paths === 'object' && !Array.isArray(shape.paths);
    if (!options.lenient || !comparable) throw new SpecLoadError(file, faultOf(error));
    try {
      document = (await (await swaggerParser()).dereference(structuredClone(parsed) as never)) as unknown as OpenAPIDocument;
    } catch {
      throw new SpecLoadError(file, faultOf(error));
    }
    return { file, raw, document, invalid: faultOf(error) };
  }
  if (cache) await rememberValidated(cache.dir, cache.key, parsed);
  return { file, raw, document };
}

function faultOf(error: unknown): string {
  return (error as Error).message.replace(/\s+/g, ' ').trim();
}

/** The short name of a spec file, for messages: `blaxel.yaml`. */
export function specName(file: string): string {
  return basename(file);
}
