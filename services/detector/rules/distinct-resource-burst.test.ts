import { distinctResourceBurst } from './distinct-resource-burst.js';
import { goldenSuite } from './golden.js';

goldenSuite(distinctResourceBurst);
