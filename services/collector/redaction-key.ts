// The redaction key: PHI values become HMAC tokens keyed by it, so the same value gives the same
// token (joins, counts) without being readable. One derivation for the collector, `scan`, `parse`
// and `eval`, so their tokens agree for the same key.
import { createHash } from 'node:crypto';
import type { RedactorOptions } from './normalize/redact.js';
import { createRedactor, type Redactor } from './normalize/redact.js';

export function redactionKeyBytes(key: string): Buffer {
  return createHash('sha256').update(key).digest();
}

export function redactorForKey(key: string, opts?: RedactorOptions): Redactor {
  return createRedactor(redactionKeyBytes(key), opts);
}
