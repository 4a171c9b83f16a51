import { goldenSuite } from '../../../test/support/golden.js';
import { phiInUrl } from './phi-in-url.js';

goldenSuite(phiInUrl);
