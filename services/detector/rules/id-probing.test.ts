import { goldenSuite } from '../../../test/support/golden.js';
import { idProbing } from './id-probing.js';

goldenSuite(idProbing);
