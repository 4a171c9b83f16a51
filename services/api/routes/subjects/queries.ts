// SQL of GET /api/v1/subjects/:token/accounting, through shared/clickhouse/sql.ts only.
import { dateTime, join, type SqlFragment, sql, table, uint } from '#shared/clickhouse/sql.js';
import { timeLimit } from '../../reads.js';

export interface AccountingFilter {
  tenant: string;
  /** resource_id of the subject's records: a customer/patient/user id or a PHI token */
  token: string;
  /** resource kinds that name a data subject (patient, customer, user by default) */
  kinds: string[];
  /** epoch ms, both included */
  from: number;
  to: number;
  /** principals at most (the busiest are not favoured: ordered by first access) */
  limit: number;
  timeoutS: number;
}

/**
 * Every principal that was served (2xx) one of the subject's records: first and last time, how
 * many requests, bytes and rows, by which routes and methods. Reads access_by_resource by its
 * sorting key (tenant, kind IN …, id); replayed copies are dropped per event_id first.
 */
export function accountingQuery(db: string, f: AccountingFilter): SqlFragment {
  const kinds = join(
    f.kinds.map((k) => sql`${k}`),
    ', ',
  );
  return sql`SELECT principal,
  min(ts_ms) AS first_ms, max(ts_ms) AS last_ms, count() AS requests,
  sum(bytes_out) AS bytes, sum(ifNull(rows_out, toUInt64(0))) AS rows_n,
  arraySlice(groupUniqArray(route), 1, 20) AS routes, arraySlice(groupUniqArray(ifNull(http_method, '')), 1, 20) AS methods,
  arraySlice(groupUniqArray(resource_kind), 1, 20) AS kinds
FROM (
  SELECT principal, ts_ms, route, http_method, resource_kind, bytes_out, rows_out
  FROM ${table(db, 'access_by_resource')}
  WHERE tenant = ${f.tenant} AND resource_kind IN (${kinds}) AND resource_id = ${f.token}
    AND ts >= ${dateTime(f.from)} AND ts <= ${dateTime(f.to)}
    AND ts_ms >= ${uint(f.from)} AND ts_ms <= ${uint(f.to)}
    AND status >= 200 AND status < 300
  LIMIT 1 BY event_id
) AS served
GROUP BY principal
ORDER BY first_ms, principal
LIMIT ${uint(f.limit)}
${timeLimit(f.timeoutS)}`;
}

export interface AccountingRowOut {
  principal: string;
  first_ms: string | number;
  last_ms: string | number;
  requests: string | number;
  bytes: string | number;
  rows_n: string | number;
  routes: string[];
  methods: string[];
  kinds: string[];
}
