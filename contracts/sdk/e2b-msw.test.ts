// The real e2b SDK against the emulator through msw, on E2B's real hosts (given only its API
// key). The same scenario runs over HTTP in e2b.test.ts; see e2b-scenario.ts.
import { describeE2bSdk, mswTransport } from './e2b-scenario.ts';

describeE2bSdk(mswTransport);
