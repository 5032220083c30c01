// The real @blaxel/core SDK against the emulator through msw, on Blaxel's real hosts (no
// BL_API_URL). The same scenario runs over HTTP in blaxel.test.ts; see blaxel-scenario.ts.
import { describeBlaxelSdk, mswTransport } from './blaxel-scenario.ts';

describeBlaxelSdk(mswTransport);
