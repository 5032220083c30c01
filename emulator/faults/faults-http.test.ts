import { describeFaults } from '../test-support/fault-scenario.ts';
import { overHttp } from '../test-support/fault-kit.ts';

describeFaults(overHttp);
