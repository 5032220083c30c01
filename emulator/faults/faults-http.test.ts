import { describeFaults } from './fault-scenario.ts';
import { overHttp } from './fault-test-kit.ts';

describeFaults(overHttp);
