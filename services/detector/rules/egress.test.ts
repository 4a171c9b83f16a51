import { egress } from './egress.js';
import { goldenSuite } from './golden.js';

goldenSuite(egress);
