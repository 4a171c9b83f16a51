import { goldenSuite } from './golden.js';
import { mediaEnumeration } from './media-enumeration.js';

goldenSuite(mediaEnumeration);
