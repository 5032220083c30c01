// The real e2b SDK against the emulator over HTTP (`apiUrl`, `sandboxUrl`). The same scenario
// runs through msw in e2b-msw.test.ts; see e2b-scenario.ts.
import { describeE2bSdk, httpTransport } from './e2b-scenario.ts';

describeE2bSdk(httpTransport);
