// An event's id, from where it was read: the same line read again (a replay, a restart) gets the
// same id, which is what makes every store downstream idempotent.
import { hash } from 'node:crypto';

/** Deterministic event id: first 32 hex of sha256(source + '\n' + position). */
export function eventId(source: string, position: number | bigint | string): string {
  return hash('sha256', source + '\n' + String(position), 'hex').slice(0, 32);
}
