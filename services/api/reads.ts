// What the investigation reads share (access history, accounting, entities, Grafana series):
// a per-query time limit, bounded time ranges, opaque cursors, and JSON / NDJSON / CSV answers.
import { Type } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';
import { type ClickHouseClient, queryRows } from '#shared/clickhouse/client.js';
import { raw, type SqlFragment, sql, uint } from '#shared/clickhouse/sql.js';
import { ApiBadRequest, ClickHouseUnavailable, LeakwatchError } from '#shared/errors.js';

const DAY_MS = 86_400_000;

/** Largest from/to accepted (2100-01-01): a DateTime beyond 2106 wraps silently on 18.16. */
export const MAX_EPOCH_MS = 4_102_444_800_000;

/**
 * `SETTINGS max_execution_time = N`, appended to every investigation query (known to 18.16 and
 * 26.9: notes/clickhouse-compat.md §5.2). In the SQL text, so it needs nothing from queryRows.
 */
export function timeLimit(seconds: number): SqlFragment {
  return sql`SETTINGS max_execution_time = ${uint(Math.max(1, Math.ceil(seconds)))}`;
}

/** A query over its time limit (ClickHouse code 159, TIMEOUT_EXCEEDED) answers 503, not 500. */
export async function readRows<T>(ch: ClickHouseClient, q: SqlFragment): Promise<T[]> {
  try {
    return await queryRows<T>(ch, q);
  } catch (err) {
    // queryRows has turned the server's TIMEOUT_EXCEEDED/TOO_SLOW into ClickHouseUnavailable with
    // the server's code in details; here the message names the API's own limit.
    const code = err instanceof LeakwatchError ? err.details?.['clickhouseCode'] : undefined;
    if (code === 159 || code === 160)
      throw ClickHouseUnavailable('the configured CLICKHOUSE_URL (query over API_QUERY_TIMEOUT_S)', {
        cause: err,
        details: { clickhouseCode: code },
      });
    throw err;
  }
}

export interface Range {
  from: number;
  to: number;
}

/** from <= to, and at most maxDays apart; otherwise 400 saying which bound was broken. */
export function checkRange(from: number, to: number, maxDays: number): Range {
  if (from > to) throw ApiBadRequest(`from (${from}) must be <= to (${to})`);
  if (to - from > maxDays * DAY_MS)
    throw ApiBadRequest(
      `time range too large: ${((to - from) / DAY_MS).toFixed(1)} days; at most ${maxDays} (API_ACCESS_MAX_RANGE_DAYS), narrow from/to`,
    );
  return { from, to };
}

/** Where a page ended: the last row's (ts_ms, event_id). Opaque to callers (base64url JSON). */
export interface Cursor {
  ts: number;
  id: string;
}

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.ts, c.id])).toString('base64url');
}

export function decodeCursor(s: string): Cursor {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
  } catch {
    throw ApiBadRequest('cursor is not one this API returned');
  }
  if (
    !Array.isArray(v) ||
    v.length !== 2 ||
    !Number.isSafeInteger(v[0]) ||
    (v[0] as number) < 0 ||
    typeof v[1] !== 'string' ||
    v[1].length > 200
  )
    throw ApiBadRequest('cursor is not one this API returned');
  return { ts: v[0] as number, id: v[1] };
}

/** `from`/`to` of a read that needs both (access history, the audit trail). */
export const RequiredRangeParams = {
  from: Type.Integer({
    minimum: 0,
    maximum: MAX_EPOCH_MS,
    description: 'epoch ms or ISO 8601, included (required)',
  }),
  to: Type.Integer({
    minimum: 0,
    maximum: MAX_EPOCH_MS,
    description: 'epoch ms or ISO 8601, included (required)',
  }),
};

/** Paging of the newest-first reads: a page size and the previous page's cursor. */
export const PageParams = {
  cursor: Type.Optional(
    Type.String({ minLength: 1, maxLength: 400, description: 'x-next-cursor of the previous page' }),
  ),
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
};

/**
 * The next page's cursor, or null on the last page (`more`: the read found a row past the page);
 * set as the `x-next-cursor` header too, so CSV and NDJSON answers carry it.
 */
export function nextCursor(reply: FastifyReply, more: boolean, last: Cursor | undefined): string | null {
  const next = more && last !== undefined ? encodeCursor(last) : null;
  if (next !== null) reply.header('x-next-cursor', next);
  return next;
}

/** `ts_ms, event_id` strictly before the cursor (pages go newest first). */
export function beforeCursor(c: Cursor | undefined): SqlFragment {
  if (c === undefined) return raw('1');
  return sql`(ts_ms < ${uint(c.ts)} OR (ts_ms = ${uint(c.ts)} AND event_id < ${c.id}))`;
}

// ---- CSV -------------------------------------------------------------------------------------
// A small writer instead of a dependency: RFC 4180 quoting (a field holding `"`, `,`, CR or LF is
// quoted, `"` doubled) plus formula neutralising: user agents and routes are attacker-written,
// and a cell starting with = + - @ (or tab/CR) runs as a formula in a spreadsheet (OWASP "CSV
// injection"), so such strings get a leading `'`. Numbers are written as they are.

export type CsvValue = string | number | boolean | null | undefined | readonly string[];

export function csvField(v: CsvValue): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  let s = Array.isArray(v) ? v.join(' ') : (v as string);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv<T extends object>(columns: readonly (keyof T & string)[], rows: readonly T[]): string {
  const lines = [columns.join(',')];
  for (const r of rows) lines.push(columns.map((c) => csvField(r[c] as CsvValue)).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

export function toNdjson(rows: readonly object[]): string {
  return rows.map((r) => `${JSON.stringify(r)}\n`).join('');
}

export type Format = 'json' | 'ndjson' | 'csv';

/** Sends rows as NDJSON or CSV (with a header row); JSON is left to the caller's shape. */
export function sendRows<T extends object>(
  reply: FastifyReply,
  format: 'ndjson' | 'csv',
  columns: readonly (keyof T & string)[],
  rows: readonly T[],
): FastifyReply {
  if (format === 'csv') return reply.type('text/csv; charset=utf-8').send(toCsv(columns, rows));
  return reply.type('application/x-ndjson; charset=utf-8').send(toNdjson(rows));
}

/** Numbers ClickHouse may send quoted (UInt64) or null. */
export function num(v: unknown): number {
  return typeof v === 'number' ? v : Number(v);
}
export function numOrNull(v: unknown): number | null {
  return v === null || v === undefined ? null : num(v);
}

/** `user:..`, `api_key:..`, `session:..`, `ip:..` (principal keys) -> alert entity type and value. */
export function splitPrincipal(key: string): { type: string; value: string } {
  const i = key.indexOf(':');
  if (i < 0) return { type: 'unknown', value: key };
  const prefix = key.slice(0, i);
  return { type: prefix === 'ip' ? 'client_ip' : prefix, value: key.slice(i + 1) };
}

/** Entity type (alert naming) -> principal key prefix (access_events.principal, entity_stats_5m). */
export function principalKeyOf(type: string, value: string): string {
  return `${type === 'client_ip' ? 'ip' : type}:${value}`;
}

/** 200 in three media types: the OpenAPI document shows each (format=json|ndjson|csv). */
export function rowsResponse(json: object, description: string, csvOnly = false) {
  return {
    200: {
      description,
      content: {
        'application/json': { schema: json },
        ...(!csvOnly && {
          'application/x-ndjson': { schema: Type.String({ description: 'one JSON row per line' }) },
        }),
        'text/csv': { schema: Type.String({ description: 'header row, then one row per line' }) },
      },
    },
  };
}
