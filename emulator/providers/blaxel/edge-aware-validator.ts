import type { ValidateFunction } from 'ajv';
import { ResponseValidator, type ResponseViolation } from '../../openapi/response-validator.ts';
import { createSchemaAjv } from '../../openapi/schema-ajv.ts';

/**
 * The response validator of the sandbox mount, plus one rule: the edge gateway's 401 `{error}`
 * may answer any operation, even one whose document entry does not declare it.
 *
 * Why: every operation of blaxel.yaml declares that 401, except GET /process/{identifier}/logs,
 * which must stay identical to the provider's published entry (the drift test pins it). With a
 * token configured, an unauthenticated call to it must still get the gateway's 401 rather than
 * a strict-mode 500. The body is still checked, against the document's own ErrorResponse.
 */
export class EdgeAwareValidator extends ResponseValidator {
  private errorSchema: ValidateFunction | undefined;

  override validate(operationId: string, status: number, mediaType: string | undefined, body: unknown, hasBody: boolean): ResponseViolation[] {
    if (status !== 401 || this.declaredStatuses(operationId).includes('401')) {
      return super.validate(operationId, status, mediaType, body, hasBody);
    }
    const type = (mediaType ?? '').split(';')[0].trim().toLowerCase();
    if (type !== 'application/json') {
      return [{ operationId, status, mediaType, message: `the edge gateway's 401 must be application/json, not '${type || '(none)'}'` }];
    }
    this.errorSchema ??= createSchemaAjv(this.spec.document.openapi).compile(this.spec.document.components?.schemas?.ErrorResponse ?? {}) as ValidateFunction;
    if (this.errorSchema(body)) return [];
    return (this.errorSchema.errors ?? []).map((e) => ({ operationId, status, mediaType, message: `body${e.instancePath.replaceAll('/', '.')} ${e.message ?? 'is invalid'}` }));
  }
}
