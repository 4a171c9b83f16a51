// Affected records: what an incident's actors were served in its window (README "Incidents").
import { type ClickHouseClient, queryRows } from '#shared/clickhouse/client.js';
import type { Config } from '#shared/config.js';
import type { MemberRow } from '#shared/incidents/model.js';
import { entityKey } from '#shared/principal.js';
import { type AffectedActor, affectedQuery, bulkReadsQuery, phiInUrlQuery } from './queries.js';

/** What one principal was served of one thing: when first and last, how often, how much. */
export interface ReadTotals {
  principal: string;
  first_access: number;
  last_access: number;
  requests: number;
  bytes: number;
  rows: number;
}

export interface AffectedRow extends ReadTotals {
  resource_kind: string;
  resource_id: string;
}

/** Successful reads that name no record (list pages, exports): how much, not which. */
export interface BulkRead extends ReadTotals {
  resource_kind: string;
  route: string;
}

/** Requests whose URL carried PHI of one kind (the values were tokenised at the collector). */
export interface PhiInUrl {
  kind: string;
  requests: number;
  principals: number;
  first_access: number;
  last_access: number;
}

export interface Affected {
  disclosed: AffectedRow[];
  denied: AffectedRow[];
  /** Not in `records`: served in bulk without record ids in the logs. */
  bulk: BulkRead[];
  /** Distinct (resource_kind, resource_id) disclosed. */
  records: number;
  /** Distinct disclosed resource ids whose kind names a person (incidents.subjectKinds). */
  subjects: number;
  /** Resource kinds disclosed, sorted. */
  kinds: string[];
  /** PHI written into the actors' request URLs, per kind (rule phi-in-url's evidence). */
  phi_in_urls: PhiInUrl[];
  /** True when the row limit cut the list (the counts then cover the listed rows only). */
  truncated: boolean;
}

/** Principal entity types: their accesses are the access_events rows whose `principal` is theirs. */
const PRINCIPAL_TYPES = new Set(['user', 'api_key', 'session', 'client_ip']);

/** The rule whose alerts concern only what was read under emergency ("break-glass") access. */
const BREAK_GLASS_RULE = 'break-glass';

/**
 * One actor per member entity, with its window: principals from their first alert's first_seen
 * minus the lookback (a walk began before the alert that caught it) to their last alert's
 * last_seen plus a window; routes (many principals by design) from first_seen without lookback.
 * A principal whose only alerts are break-glass alerts is a clinician reading under emergency
 * access: what the incident disclosed is what was read that way (`emergencyOnly`), not the charts
 * the same person read in the same hours with ordinary access.
 */
export function affectedActors(
  members: readonly MemberRow[],
  cfg: Pick<Config['incidents'], 'affectedLookbackMs' | 'affectedWindowMs'>,
): AffectedActor[] {
  const by = new Map<string, { m: MemberRow; from: number; to: number; breakGlassOnly: boolean }>();
  for (const m of members) {
    const key = `${m.entity_type}\u0000${m.entity_value}\u0000${m.resource_kind}`;
    const cur = by.get(key);
    const breakGlass = m.rule === BREAK_GLASS_RULE;
    if (cur === undefined)
      by.set(key, { m, from: m.first_seen_ms, to: m.last_seen_ms, breakGlassOnly: breakGlass });
    else {
      cur.from = Math.min(cur.from, m.first_seen_ms);
      cur.to = Math.max(cur.to, m.last_seen_ms);
      cur.breakGlassOnly &&= breakGlass;
    }
  }
  const out: AffectedActor[] = [];
  for (const { m, from, to, breakGlassOnly } of by.values()) {
    const toMs = to + cfg.affectedWindowMs;
    if (m.entity_type === 'route')
      out.push({ kind: 'route', route: m.entity_value, resourceKind: m.resource_kind, fromMs: from, toMs });
    else if (m.entity_type === 'db_user')
      out.push({
        kind: 'db_user',
        dbUser: m.entity_value,
        fromMs: Math.max(0, from - cfg.affectedLookbackMs),
        toMs,
      });
    else
      out.push({
        kind: 'principal',
        principal: PRINCIPAL_TYPES.has(m.entity_type)
          ? entityKey({ type: m.entity_type, value: m.entity_value })
          : `${m.entity_type}:${m.entity_value}`,
        fromMs: Math.max(0, from - cfg.affectedLookbackMs),
        toMs,
        ...(breakGlassOnly && { emergencyOnly: true as const }),
      });
  }
  return out;
}

export const AFFECTED_LIMIT = 200_000;

/** The columns affected and bulk rows share: who, what kind, when, how much. */
function accessSummary(r: Record<string, unknown>) {
  return {
    resource_kind: String(r['resource_kind']),
    principal: String(r['principal']),
    first_access: Number(r['first_access']),
    last_access: Number(r['last_access']),
    requests: Number(r['requests']),
    bytes: Number(r['bytes']),
    rows: Number(r['row_count']),
  };
}

export async function loadAffected(
  ch: ClickHouseClient,
  db: string,
  tenant: string,
  members: readonly MemberRow[],
  cfg: Config['incidents'],
): Promise<Affected> {
  const actors = affectedActors(members, cfg);
  const out: Affected = {
    disclosed: [],
    denied: [],
    bulk: [],
    records: 0,
    subjects: 0,
    kinds: [],
    phi_in_urls: [],
    truncated: false,
  };
  if (actors.length === 0) return out;
  const [raw, bulk, phi] = await Promise.all([
    queryRows<Record<string, unknown>>(ch, affectedQuery(db, tenant, actors, AFFECTED_LIMIT)),
    queryRows<Record<string, unknown>>(ch, bulkReadsQuery(db, tenant, actors, 10_000)),
    queryRows<Record<string, unknown>>(ch, phiInUrlQuery(db, tenant, actors)),
  ]);
  out.phi_in_urls = phi.map((r) => ({
    kind: String(r['phi_kind']),
    requests: Number(r['requests']),
    principals: Number(r['principals']),
    first_access: Number(r['first_access']),
    last_access: Number(r['last_access']),
  }));
  out.bulk = bulk.map((r) => ({ route: String(r['route']), ...accessSummary(r) }));
  out.truncated = raw.length >= AFFECTED_LIMIT;
  const records = new Set<string>();
  const subjects = new Set<string>();
  const kinds = new Set<string>();
  const subjectKinds = new Set(cfg.subjectKinds);
  for (const r of raw) {
    const row: AffectedRow = { resource_id: String(r['resource_id']), ...accessSummary(r) };
    if (r['outcome'] === 'denied') {
      out.denied.push(row);
      continue;
    }
    out.disclosed.push(row);
    records.add(`${row.resource_kind}\u0000${row.resource_id}`);
    kinds.add(row.resource_kind);
    if (subjectKinds.has(row.resource_kind)) subjects.add(`${row.resource_kind}\u0000${row.resource_id}`);
  }
  out.records = records.size;
  out.subjects = subjects.size;
  out.kinds = [...kinds].sort();
  return out;
}

const CSV_COLUMNS = [
  'resource_kind',
  'resource_id',
  'principal',
  'first_access',
  'last_access',
  'requests',
  'bytes',
  'rows',
] as const;

function csvCell(v: string | number, iso: boolean): string {
  if (typeof v === 'number') return iso ? new Date(v).toISOString() : String(v);
  // a spreadsheet must not run a cell as a formula
  const s = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The disclosed rows as CSV (RFC 4180, times in ISO 8601 UTC) for the notification workflow. */
export function affectedCsv(rows: readonly AffectedRow[]): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const r of rows)
    lines.push(CSV_COLUMNS.map((c) => csvCell(r[c], c === 'first_access' || c === 'last_access')).join(','));
  return `${lines.join('\r\n')}\r\n`;
}
