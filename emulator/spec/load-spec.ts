import SwaggerParser from '@apidevtools/swagger-parser';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { OpenAPIDocument } from './openapi-types.ts';

/** A document that could not be read, parsed, validated or dereferenced. */
export class SpecLoadError extends Error {
  constructor(
    readonly file: string,
    readonly fault: string,
  ) {
    super(`Failed to load the OpenAPI document ${file}: ${fault}. Fix the document and load it again.`);
    this.name = 'SpecLoadError';
  }
}

export interface LoadedSpec {
  file: string;
  /** The document as written (refs intact), for drift reports and examples. */
  raw: OpenAPIDocument;
  /** Fully dereferenced: every $ref replaced by the object it points at. */
  document: OpenAPIDocument;
}

/**
 * Reads, validates and fully dereferences one OpenAPI 3.0 or 3.1 document.
 * Validation runs first so that a broken document is refused with the file and the fault,
 * rather than turning into a router with missing routes later on.
 */
export async function loadSpec(file: string): Promise<LoadedSpec> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new SpecLoadError(file, (error as Error).message);
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
  try {
    // validate() dereferences in place as well; give it its own copy so `raw` keeps its refs.
    const document = (await SwaggerParser.validate(structuredClone(parsed) as never)) as unknown as OpenAPIDocument;
    return { file, raw, document };
  } catch (error) {
    const message = (error as Error).message.replace(/\s+/g, ' ').trim();
    throw new SpecLoadError(file, message);
  }
}

/** The short name of a spec file, for messages: `blaxel.yaml`. */
export function specName(file: string): string {
  return basename(file);
}
