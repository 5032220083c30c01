import { defineContractTests } from '../kit/contract-tests.ts';
import { e2bSuite } from './e2b.suite.ts';

// One suite, every target; each skip carries its reason (the live target's own are in
// contracts/kit/targets/live-target.ts: it creates no sandboxes on your account).
await defineContractTests(e2bSuite, [
  { kind: 'inprocess', skips: {} },
  { kind: 'http', skips: {} },
  { kind: 'container', skips: {} },
  { kind: 'live', skips: {} },
]);
