// SQL of GET /api/v1/audit, through shared/clickhouse/sql.ts only.
import { dateTime, raw, type SqlFragment, sql, table, uint } from '#shared/clickhouse/sql.js';
import type { AuditRow } from '../../plugins/audit.js';
import { type Cursor, timeLimit } from '../../reads.js';

export interface AuditFilter {
  /** epoch ms, both included (api_audit keeps whole seconds) */
  from: number;
  to: number;
  tokenName?: string;
  route?: string;
  /** A substring of the recorded path and query parameters (a token, a resource id). */
  contains?: string;
  cursor?: Cursor;
  limit: number;
  timeoutS: number;
}

/** api_audit rows newest first, by its sorting key (ts, request_id). */
export function auditTrailQuery(db: string, f: AuditFilter): SqlFragment {
  const c = f.cursor;
  const before = c
    ? sql`AND (ts < ${dateTime(c.ts)} OR (ts = ${dateTime(c.ts)} AND request_id < ${c.id}))`
    : raw('');
  return sql`SELECT toUInt64(ts) * 1000 AS ts_ms, request_id, token_id, token_name, role, method, route, query, status, rows
FROM ${table(db, 'api_audit')}
WHERE ts >= ${dateTime(f.from)} AND ts <= ${dateTime(f.to)}
  ${f.tokenName !== undefined ? sql`AND token_name = ${f.tokenName}` : raw('')}
  ${f.route !== undefined ? sql`AND route = ${f.route}` : raw('')}
  ${f.contains !== undefined ? sql`AND position(query, ${f.contains}) > 0` : raw('')}
  ${before}
ORDER BY ts DESC, request_id DESC
LIMIT ${uint(f.limit)}
${timeLimit(f.timeoutS)}`;
}

/** api_audit's columns as ClickHouse sends them (UInt64 as strings), `ts` in ms. */
export type AuditRowOut = Omit<AuditRow, 'ts' | 'status' | 'rows'> & {
  ts_ms: string | number;
  status: string | number;
  rows: string | number;
};
