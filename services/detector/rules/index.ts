// The detections the detector runs, one line each.
import { sequentialEnumeration } from './sequential-enumeration.js';
import type { AnyRule } from './types.js';

export function defaultRules(): AnyRule[] {
  return [sequentialEnumeration];
}
