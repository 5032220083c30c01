import { Ajv } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

// ajv-formats is CommonJS: under NodeNext its default export arrives wrapped.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as unknown as (
  ajv: Ajv | Ajv2020,
) => void;

/**
 * An Ajv instance that judges schemas by the rules of the document they come from: the 2020-12
 * dialect for OpenAPI 3.1, draft-07 plus `nullable` for 3.0. OpenAPI's own formats (int32,
 * int64, ...) are known, so a document using them is not refused.
 */
export function createSchemaAjv(openapiVersion: string): Ajv | Ajv2020 {
  const options = { strict: false, allErrors: true, validateFormats: true } as const;
  const ajv = openapiVersion.startsWith('3.1') ? new Ajv2020(options) : new Ajv(options);
  addFormats(ajv);
  ajv.addFormat('int32', { type: 'number', validate: (v: number) => Number.isInteger(v) && v >= -(2 ** 31) && v < 2 ** 31 });
  ajv.addFormat('int64', { type: 'number', validate: (v: number) => Number.isInteger(v) });
  for (const format of ['float', 'double', 'byte', 'binary', 'password']) ajv.addFormat(format, true);
  return ajv;
}
