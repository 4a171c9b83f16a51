import { goldenSuite } from './golden.js';
import { sessionSharing } from './session-sharing.js';

goldenSuite(sessionSharing);
