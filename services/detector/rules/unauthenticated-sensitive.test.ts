import { goldenSuite } from '../../../test/support/golden.js';
import { unauthenticatedSensitive } from './unauthenticated-sensitive.js';

goldenSuite(unauthenticatedSensitive);
