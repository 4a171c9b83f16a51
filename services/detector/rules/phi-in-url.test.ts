import { goldenSuite } from './golden.js';
import { phiInUrl } from './phi-in-url.js';

goldenSuite(phiInUrl);
