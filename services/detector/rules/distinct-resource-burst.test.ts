import { goldenSuite } from '../../../test/support/golden.js';
import { distinctResourceBurst } from './distinct-resource-burst.js';

goldenSuite(distinctResourceBurst);
