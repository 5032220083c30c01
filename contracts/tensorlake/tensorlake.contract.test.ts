import { defineContractTests } from '../kit/contract-tests.ts';
import { tensorlakeSuite } from './tensorlake.suite.ts';

// One suite, every target; each skip carries its reason.
await defineContractTests(tensorlakeSuite, [
  { kind: 'inprocess', skips: {} },
  { kind: 'http', skips: {} },
  { kind: 'container', skips: {} },
  { kind: 'live', skips: {} },
]);
