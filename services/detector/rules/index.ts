// The detections the detector and `leakwatch scan` run, one line each.
import { breakGlass } from './break-glass.js';
import { distinctResourceBurst } from './distinct-resource-burst.js';
import { distributedEnumeration } from './distributed-enumeration.js';
import { egress } from './egress.js';
import { idProbing } from './id-probing.js';
import { mediaEnumeration } from './media-enumeration.js';
import { phiInUrl } from './phi-in-url.js';
import { sequentialEnumeration } from './sequential-enumeration.js';
import { sessionSharing } from './session-sharing.js';
import type { AnyRule } from './types.js';
import { unauthenticatedSensitive } from './unauthenticated-sensitive.js';

export function defaultRules(): AnyRule[] {
  return [
    egress,
    sequentialEnumeration,
    distinctResourceBurst,
    idProbing,
    mediaEnumeration,
    distributedEnumeration,
    unauthenticatedSensitive,
    phiInUrl,
    sessionSharing,
    breakGlass,
  ];
}
