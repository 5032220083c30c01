import { describeFaults } from '../test-support/fault-scenario.ts';
import { throughMsw } from '../test-support/fault-kit.ts';

describeFaults(throughMsw);
