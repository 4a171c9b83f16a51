import { distributedEnumeration } from './distributed-enumeration.js';
import { goldenSuite } from './golden.js';

goldenSuite(distributedEnumeration);
