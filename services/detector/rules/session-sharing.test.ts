import { goldenSuite } from '../../../test/support/golden.js';
import { sessionSharing } from './session-sharing.js';

goldenSuite(sessionSharing);
