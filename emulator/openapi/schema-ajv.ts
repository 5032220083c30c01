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
  // validateSchema off: the documents' schemas are checked by swagger-parser when they load;
  // checking each again on compile costs ajv a compile of its meta-schema first.
  const options = { strict: false, allErrors: true, validateFormats: true, validateSchema: false } as const;
  const ajv = openapiVersion.startsWith('3.1') ? new Ajv2020(options) : new Ajv(options);
  addFormats(ajv);
  ajv.addFormat('int32', { type: 'number', validate: (v: number) => Number.isInteger(v) && v >= -(2 ** 31) && v < 2 ** 31 });
  ajv.addFormat('int64', { type: 'number', validate: (v: number) => Number.isInteger(v) });
  for (const format of ['float', 'double', 'byte', 'binary', 'password']) ajv.addFormat(format, true);
  rememberLastAnswer(ajv);
  return ajv;
}

type FormatCheck = (value: string | number) => boolean;

/**
 * Makes every format check remember its last answer. The frames of one output chunk all carry
 * the chunk's timestamp: checking the same date-time (three regular expressions and some date
 * arithmetic) once per line was a quarter of the emulator's time in an AgentBox follow. The
 * checks are pure functions, so the answer for the same value is the same.
 */
function rememberLastAnswer(ajv: Ajv | Ajv2020): void {
  for (const [name, format] of Object.entries(ajv.formats)) {
    const check: FormatCheck | undefined =
      typeof format === 'function'
        ? (format as FormatCheck)
        : format instanceof RegExp
          ? (value) => format.test(String(value))
          : typeof format === 'object' && format !== null && 'validate' in format && !format.async
            ? typeof format.validate === 'function'
              ? (format.validate as FormatCheck)
              : format.validate instanceof RegExp
                ? ((re: RegExp) => (value: string | number) => re.test(String(value)))(format.validate)
                : undefined
            : undefined;
    if (!check) continue;
    let last: { value: string | number; valid: boolean } | undefined;
    const remembered = (value: string | number): boolean => {
      if (last?.value !== value) last = { value, valid: check(value) };
      return last.valid;
    };
    const type = typeof format === 'object' && format !== null && !(format instanceof RegExp) && 'type' in format ? format.type : undefined;
    const compare = typeof format === 'object' && format !== null && !(format instanceof RegExp) && 'compare' in format ? format.compare : undefined;
    ajv.addFormat(name, { ...(type ? { type } : {}), ...(compare ? { compare } : {}), validate: remembered } as never);
  }
}
