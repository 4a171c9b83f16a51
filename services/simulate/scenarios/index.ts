// Every scenario class, one module each; the id is the rule that should catch it.
import { breakGlass } from './break-glass.js';
import { distinctResourceBurst } from './distinct-resource-burst.js';
import { distributedEnumeration } from './distributed-enumeration.js';
import { egressScenarios } from './egress.js';
import { idProbing } from './id-probing.js';
import { ID_ROUTE_CLASSES } from './id-routes.js';
import { mediaEnumeration } from './media-enumeration.js';
import { nightlyBackup } from './nightly-job.js';
import { phiInUrl } from './phi-in-url.js';
import { sequentialEnumeration } from './sequential-enumeration.js';
import { sessionSharing } from './session-sharing.js';
import type { ScenarioClass } from './types.js';
import { unauthenticatedSensitive } from './unauthenticated-sensitive.js';

export const SCENARIO_CLASSES: readonly ScenarioClass[] = Object.freeze([
  // egress/nightly (a scheduled job judged by what it learnt) only in simulations of 8 nights or more
  { ...egressScenarios, variants: [...egressScenarios.variants, nightlyBackup] },
  sequentialEnumeration,
  distinctResourceBurst,
  idProbing,
  mediaEnumeration,
  distributedEnumeration,
  unauthenticatedSensitive,
  phiInUrl,
  sessionSharing,
  breakGlass,
  ...ID_ROUTE_CLASSES, // issue 15: id routes outside the route table
]);

export const CLASS_IDS: readonly string[] = Object.freeze([...new Set(SCENARIO_CLASSES.map((c) => c.id))]);

// ---- database logs (issue 15): `simulate --family mysql` ----
export { DB_LEAKS as DB_SCENARIO_CLASSES } from './db-leaks.js';
// ---- object-store logs (issue 15): `simulate --family s3|cloudtrail` ----
export { STORAGE_LEAKS as STORAGE_SCENARIO_CLASSES } from './storage-leaks.js';
