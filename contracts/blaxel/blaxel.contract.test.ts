import { defineContractTests } from '../kit/contract-tests.ts';
import { blaxelSuite } from './blaxel.suite.ts';

// One suite, every target; each skip carries its reason.
await defineContractTests(blaxelSuite, [
  { kind: 'inprocess', skips: {} },
  { kind: 'http', skips: {} },
  { kind: 'container', skips: {} },
  { kind: 'live', skips: {} },
]);
