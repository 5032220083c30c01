// `sandbox-emulator/contracts`: a provider's contract suite run against a target from code, as
// `sandbox-emulator contracts` runs it from the command line. Each operation of our document is
// checked: the status is declared, the content type matches, the body and every stream frame
// validate, the behaviour is right.
//
//   import { formatReport, runContracts } from 'sandbox-emulator/contracts';
//   const report = await runContracts({ provider: 'blaxel', target: 'http://127.0.0.1:4747' });
//   console.log(formatReport(report));
//   if (report.results.some((r) => r.status === 'fail')) process.exitCode = 1;
export { CONTRACT_PROVIDERS, contractTargetUnavailable, runContracts, type RunContractsOptions } from '../contracts/run-contracts.ts';
export { formatTable as formatReport, toJUnit, toMarkdown } from '../contracts/kit/report.ts';
export { CHECKS, type CheckName, type CheckResult } from '../contracts/kit/check-results.ts';
export type { SuiteReport } from '../contracts/kit/contract-suite.ts';
export type { ContractTarget } from '../contracts/kit/contract-target.ts';
