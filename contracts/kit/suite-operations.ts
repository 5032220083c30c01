import { operationsOf } from '../../emulator/openapi/openapi-types.ts';
import type { ContractSuite } from './contract-suite.ts';

/** The operations a suite covers, in document order: the rows of its report. */
export async function suiteOperations(suite: ContractSuite, specsDir: string): Promise<string[]> {
  const out: string[] = [];
  for (const surface of await suite.surfaces(specsDir)) {
    for (const { path, operation } of operationsOf(surface.spec.document)) {
      if (surface.paths && !surface.paths(path)) continue;
      if (operation.operationId) out.push(operation.operationId);
    }
  }
  return out;
}
