import { goldenSuite } from './golden.js';
import { idProbing } from './id-probing.js';

goldenSuite(idProbing);
