import { fileURLToPath } from 'node:url';

/** The project's own OpenAPI documents. */
export const DEFAULT_SPECS_DIR = fileURLToPath(new URL('../../specs/', import.meta.url));
