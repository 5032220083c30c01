import { describeFaults } from './fault-scenario.ts';
import { throughMsw } from '../test-support/fault-kit.ts';

describeFaults(throughMsw);
