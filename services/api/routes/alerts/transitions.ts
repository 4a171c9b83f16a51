// Which status changes a person may make to an alert, and how long a suppression or allow entry
// lasts. Pure: the routes call these before writing anything.
import type { AlertStatus } from '#shared/avro/generated/alert.js';
import { ApiBadRequest, ApiConflict } from '#shared/errors.js';

export type AlertAction = 'ack' | 'resolve' | 'reopen' | 'suppress';

const TARGET: Record<AlertAction, AlertStatus> = {
  ack: 'acknowledged',
  resolve: 'resolved',
  reopen: 'open',
  suppress: 'suppressed',
};

/** From which statuses each action may be taken (the target status itself is a no-op). */
const ALLOWED_FROM: Record<AlertAction, readonly AlertStatus[]> = {
  ack: ['open', 'suppressed'],
  resolve: ['open', 'acknowledged', 'suppressed'],
  reopen: ['acknowledged', 'resolved', 'suppressed'],
  suppress: ['open', 'acknowledged', 'resolved'],
};

/**
 * The status `action` leads to from `current`; `null` when the alert already has it (the call is
 * then a no-op that writes nothing). Any other transition is a 409 that says what to do instead.
 */
export function nextStatus(current: AlertStatus, action: AlertAction): AlertStatus | null {
  const target = TARGET[action];
  if (current === target) return null;
  if (!ALLOWED_FROM[action].includes(current)) {
    throw ApiConflict(`alert is ${current}; ${action} needs one of ${ALLOWED_FROM[action].join(', ')}`);
  }
  return target;
}

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** "90s", "30m", "24h", "7d", "2w" -> ms; at most `maxMs`. */
export function parseDuration(text: string, maxMs: number): number {
  const m = /^(\d{1,6})\s*([smhdw])$/.exec(text.trim());
  if (!m) throw ApiBadRequest(`"for" must be a duration like 30m, 24h or 7d (got ${JSON.stringify(text)})`);
  const ms = Number(m[1]) * UNIT_MS[m[2]!]!;
  if (ms <= 0) throw ApiBadRequest('"for" must be longer than zero');
  if (ms > maxMs)
    throw ApiBadRequest(`"for" is longer than the limit of ${Math.round(maxMs / 86_400_000)} days`);
  return ms;
}

/** The expiry of a suppression or allow entry from `for` (duration) or `until` (epoch ms). */
export function expiryOf(
  body: { for?: string; until?: number },
  now: number,
  limits: { defaultMs?: number; maxMs: number },
): number {
  if (body.for !== undefined && body.until !== undefined)
    throw ApiBadRequest('give "for" or "until", not both');
  if (body.until !== undefined) {
    if (body.until <= now) throw ApiBadRequest('"until" is in the past');
    if (body.until - now > limits.maxMs)
      throw ApiBadRequest(`"until" is further than ${Math.round(limits.maxMs / 86_400_000)} days away`);
    return body.until;
  }
  if (body.for !== undefined) return now + parseDuration(body.for, limits.maxMs);
  if (limits.defaultMs !== undefined) return now + limits.defaultMs;
  throw ApiBadRequest('give "for" (a duration like 24h) or "until" (epoch ms)');
}
