import type { Ajv, ValidateFunction } from 'ajv';
import type { Ajv2020 } from 'ajv/dist/2020.js';
import { createSchemaAjv } from './schema-ajv.ts';
import { blindToStringAt } from './string-blind.ts';
import type { LoadedSpec } from './load-spec.ts';
import { operationsOf, type JsonSchema, type OperationObject } from './openapi-types.ts';

/** A response (or one stream frame) that does not match the document. */
export interface ResponseViolation {
  operationId: string;
  status: number;
  mediaType?: string;
  /** What is wrong, in one line: `body.pid must be integer`, `status 418 is not declared`. */
  message: string;
}

/**
 * Validates responses against the schemas of the document they came from. 3.1 documents are
 * checked with the 2020-12 dialect they are written in, 3.0 documents with draft-07 plus
 * `nullable`, so a response is judged by exactly the rules its document states.
 */
export class ResponseValidator {
  private readonly ajv: Ajv | Ajv2020;
  private readonly operations = new Map<string, OperationObject>();
  private readonly compiled = new Map<string, ValidateFunction>();
  private readonly blind = new Map<string, boolean>();
  /** valueChecker of each operation, status and media type, kept: validateValue runs once per answer. */
  private readonly checkers = new Map<string, (value: unknown) => ResponseViolation[]>();

  constructor(readonly spec: LoadedSpec) {
    this.ajv = createSchemaAjv(spec.document.openapi);
    for (const { operation } of operationsOf(spec.document)) {
      if (operation.operationId) this.operations.set(operation.operationId, operation);
    }
  }

  /** The statuses an operation declares, as numbers ('default' and '4XX' ranges kept as text). */
  declaredStatuses(operationId: string): string[] {
    return Object.keys(this.operations.get(operationId)?.responses ?? {});
  }

  /** The schema of a status and media type, following the document's `default` and `4XX` keys. */
  schemaFor(operationId: string, status: number, mediaType: string): JsonSchema | undefined | null {
    const response = this.responseFor(operationId, status);
    if (!response) return null;
    const content = response.content ?? {};
    const media = content[mediaType] ?? content[mediaType.split(';')[0].trim()];
    return media ? (media.schema ?? {}) : undefined;
  }

  mediaTypes(operationId: string, status: number): string[] {
    return Object.keys(this.responseFor(operationId, status)?.content ?? {});
  }

  /**
   * Checks a whole response: the status is declared, the media type is declared for it,
   * and the body (when there is one to check) validates.
   */
  validate(operationId: string, status: number, mediaType: string | undefined, body: unknown, hasBody: boolean): ResponseViolation[] {
    const response = this.responseFor(operationId, status);
    if (!response) {
      return [{ operationId, status, message: `status ${status} is not declared for ${operationId} (declared: ${this.declaredStatuses(operationId).join(', ')})` }];
    }
    const declared = Object.keys(response.content ?? {});
    // An empty answer is judged by its status alone (a 204, or a body the transport streams).
    if (!hasBody) return [];
    if (declared.length === 0) {
      return [{ operationId, status, mediaType, message: `status ${status} of ${operationId} declares no body, but one was sent` }];
    }
    const type = (mediaType ?? '').split(';')[0].trim().toLowerCase();
    if (!declared.some((d) => d.toLowerCase() === type)) {
      return [{ operationId, status, mediaType, message: `media type '${type || '(none)'}' is not declared for ${operationId} ${status} (declared: ${declared.join(', ')})` }];
    }
    return this.validateValue(operationId, status, type, body);
  }

  /** Checks one value (a JSON body, or one stream frame's payload) against the media schema. */
  validateValue(operationId: string, status: number, mediaType: string, value: unknown): ResponseViolation[] {
    const key = `${operationId} ${status} ${mediaType}`;
    let check = this.checkers.get(key);
    if (!check) this.checkers.set(key, (check = this.valueChecker(operationId, status, mediaType)));
    return check(value);
  }

  /**
   * validateValue with the operation, status and media type fixed: the schema is looked up once
   * and compiled (or taken from the cache) on the first value, so the frames of a stream cost
   * one call of the compiled function each.
   */
  valueChecker(operationId: string, status: number, mediaType: string): (value: unknown) => ResponseViolation[] {
    const schema = this.schemaFor(operationId, status, mediaType);
    if (!schema) return () => [];
    let validate: ValidateFunction | undefined;
    return (value) => {
      if (!validate) {
        const key = `${operationId} ${status} ${mediaType}`;
        validate = this.compiled.get(key);
        if (!validate) {
          validate = this.ajv.compile(schema) as ValidateFunction;
          this.compiled.set(key, validate);
        }
      }
      if (validate(value)) return [];
      return (validate.errors ?? []).map((e) => ({
        operationId,
        status,
        mediaType,
        message: `body${e.instancePath.replaceAll('/', '.')} ${e.message ?? 'is invalid'}${e.params && 'additionalProperty' in e.params ? ` ('${String(e.params.additionalProperty)}')` : ''}`,
      }));
    };
  }

  /**
   * True when the schema of this answer cannot tell one string from another at `path` (see
   * blindToStringAt): payloads that differ only there get the same verdict.
   */
  blindToStringAt(operationId: string, status: number, mediaType: string, path: readonly string[]): boolean {
    // Asked at every batch of a follow: the schema is walked once per place.
    const key = `${operationId} ${status} ${mediaType} ${path.join('\u0000')}`;
    let blind = this.blind.get(key);
    if (blind === undefined) {
      const schema = this.schemaFor(operationId, status, mediaType);
      blind = schema ? blindToStringAt(schema, path) : false;
      this.blind.set(key, blind);
    }
    return blind;
  }

  private responseFor(operationId: string, status: number) {
    const responses = this.operations.get(operationId)?.responses ?? {};
    return responses[String(status)] ?? responses[`${String(status)[0]}XX`] ?? responses.default;
  }
}
