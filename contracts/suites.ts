import type { ContractSuite } from './kit/contract-suite.ts';
import { agentboxSuite } from './agentbox/agentbox.suite.ts';
import { blaxelSuite } from './blaxel/blaxel.suite.ts';
import { e2bSuite } from './e2b/e2b.suite.ts';
import { tensorlakeSuite } from './tensorlake/tensorlake.suite.ts';

/** Every provider's contract suite, by provider name. */
export const SUITES: Record<string, ContractSuite> = {
  blaxel: blaxelSuite,
  tensorlake: tensorlakeSuite,
  agentbox: agentboxSuite,
  e2b: e2bSuite,
};
