import { goldenSuite } from './golden.js';
import { unauthenticatedSensitive } from './unauthenticated-sensitive.js';

goldenSuite(unauthenticatedSensitive);
