import { goldenSuite } from '../../../test/support/golden.js';
import { distributedEnumeration } from './distributed-enumeration.js';

goldenSuite(distributedEnumeration);
