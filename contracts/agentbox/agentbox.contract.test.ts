import { defineContractTests } from '../kit/contract-tests.ts';
import { agentboxSuite } from './agentbox.suite.ts';

// One suite, every target; each skip carries its reason. The emulator targets start with the
// suite's contract pool (agentboxSuite.emulator); the live one needs AGENTBOX_POOL and
// AGENTBOX_LOG_POOL for the scenarios that claim sandboxes (see targets/live-target.ts).
await defineContractTests(agentboxSuite, [
  { kind: 'inprocess', skips: {} },
  { kind: 'http', skips: {} },
  { kind: 'container', skips: {} },
  { kind: 'live', skips: {} },
]);
