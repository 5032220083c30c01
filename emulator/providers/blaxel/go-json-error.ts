import { jsonFault, quoteChar } from '../json-syntax.ts';

/**
 * The error Go's encoding/json gives for a body that is not JSON, as the sandbox-api (gin's
 * ShouldBindJSON, a json.Decoder) puts it after `invalid request body: `: the first byte its
 * scanner cannot take and what it was looking for (`invalid character 'x' looking for beginning
 * of value`); a body that stops early is `unexpected EOF`, an empty one `EOF`.
 */
export function goJsonError(body: string): string {
  if (body.trim() === '') return 'EOF';
  const fault = jsonFault(body);
  if (!fault) return 'unexpected end of JSON input';
  if (fault.char === undefined) return 'unexpected EOF';
  return `invalid character ${quoteChar(fault.char)} ${fault.context}`;
}
