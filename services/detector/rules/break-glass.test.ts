import { goldenSuite } from '../../../test/support/golden.js';
import { breakGlass } from './break-glass.js';

goldenSuite(breakGlass);
