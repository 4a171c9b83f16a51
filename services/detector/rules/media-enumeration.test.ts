import { goldenSuite } from '../../../test/support/golden.js';
import { mediaEnumeration } from './media-enumeration.js';

goldenSuite(mediaEnumeration);
