import { breakGlass } from './break-glass.js';
import { goldenSuite } from './golden.js';

goldenSuite(breakGlass);
