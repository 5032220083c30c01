import { describeFaults } from './fault-scenario.ts';
import { throughMsw } from './fault-test-kit.ts';

describeFaults(throughMsw);
