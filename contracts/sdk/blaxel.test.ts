// The real @blaxel/core SDK against the emulator over HTTP (BL_API_URL = the emulated control
// plane). The same scenario runs through msw in blaxel-msw.test.ts; see blaxel-scenario.ts.
import { describeBlaxelSdk, httpTransport } from './blaxel-scenario.ts';

describeBlaxelSdk(httpTransport);
