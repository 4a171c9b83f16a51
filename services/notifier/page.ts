// A page: what one receiver is told about one group (an incident, or a fingerprint before the
// incident is known). Built only from non-PHI facts: rule, severity, tenant, entity TYPE, counts,
// the explanation's numbers, bounded labels and a link into the API. The entity value appears only
// when it is an IP address (what a responder blocks); any other value is replaced in the title.
import { createHash } from 'node:crypto';
import type { Alert, Severity } from '#shared/avro/generated/alert.js';

export type PageAction = 'trigger' | 'acknowledge' | 'resolve';

export interface Page {
  /** Idempotency key, deterministic: receiver + dedup key + generation + action + n. */
  id: string;
  receiver: string;
  /** incident id when known at the first page, else `actor-<hash of tenant + entity>`: PagerDuty dedup_key. */
  dedupKey: string;
  incidentId: string | null;
  action: PageAction;
  /** Repeat number of a trigger (0 = first), re-trigger count after a reopen. */
  n: number;
  tenant: string;
  rule: string;
  severity: Severity;
  entityType: string;
  /** The entity value when it is an IP address, else null. */
  entityIp: string | null;
  title: string;
  summary: string;
  /** The alert the page links to (the group's first). */
  alertId: string;
  alertCount: number;
  startsAt: number;
  lastSeen: number;
  /** Set on resolve. */
  endsAt: number | null;
  link: string;
  labels: Readonly<Record<string, string>>;
  /** When the notifier decided to send it (wall clock, ms): delivery latency starts here. */
  createdAt: number;
}

const IP = /^(\d{1,3}(\.\d{1,3}){3}|[0-9a-f:]*:[0-9a-f:]+)$/i;

export function isIp(v: string): boolean {
  return IP.test(v);
}

export function pageId(parts: readonly (string | number)[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32);
}

/** The alert's title with its entity value replaced unless it is an IP address. */
export function safeTitle(a: Pick<Alert, 'title' | 'entity'>): string {
  const v = a.entity.value;
  if (!v || isIp(v)) return a.title;
  return a.title.split(v).join(`<${a.entity.type}>`);
}

export function explanationSummary(a: Pick<Alert, 'explanation' | 'rule'>): string {
  const e = a.explanation;
  const base = e.baseline
    ? ` against a baseline p50 ${round(e.baseline.p50)}, p95 ${round(e.baseline.p95)} (n=${e.baseline.n})`
    : ' (no baseline)';
  return `${e.feature} ${round(e.observed)}${base}, score ${round(e.score)}`;
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

/** Labels a page may carry: the alert's (bounded: route templates, kinds) minus anything entity-valued. */
export function pageLabels(a: Pick<Alert, 'labels' | 'entity'>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(a.labels)) {
    if (a.entity.value && !isIp(a.entity.value) && v.includes(a.entity.value)) continue;
    out[k] = v;
  }
  return out;
}

export function alertLink(apiBaseUrl: string, alertId: string): string {
  return `${apiBaseUrl.replace(/\/+$/, '')}/api/v1/alerts/${encodeURIComponent(alertId)}`;
}
