// The one place @clickhouse/client is constructed. Settings are an allow-list known to both
// 18.16 and 24.x+ (notes/clickhouse-compat.md §5.2): an unknown setting fails the whole query.
import { type ClickHouseClient, createClient } from '@clickhouse/client';
import type { Config } from '../config.js';
import { ClickHouseUnavailable, isRetriable } from '../errors.js';
import type { SqlFragment } from './sql.js';

export type { ClickHouseClient };

export function createClickHouse(cfg: Pick<Config, 'clickhouse'>): ClickHouseClient {
  return createClient({
    url: cfg.clickhouse.url,
    username: cfg.clickhouse.user,
    password: cfg.clickhouse.password,
    request_timeout: 30_000,
    compression: { request: false, response: true },
    clickhouse_settings: {
      // both versions know it; makes UInt64 come back the same way everywhere (as strings)
      output_format_json_quote_64bit_integers: 1,
    },
  });
}

/** Runs a SELECT and returns its rows (JSONEachRow). */
export async function queryRows<T>(ch: ClickHouseClient, q: SqlFragment): Promise<T[]> {
  try {
    const rs = await ch.query({ query: q.text, format: 'JSONEachRow' });
    return (await rs.json()) as T[];
  } catch (err) {
    throw wrapError(err);
  }
}

/** Runs DDL or another statement without a result. */
export async function command(ch: ClickHouseClient, q: SqlFragment | string): Promise<void> {
  try {
    await ch.command({ query: typeof q === 'string' ? q : q.text });
  } catch (err) {
    throw wrapError(err);
  }
}

/** Inserts rows as JSONEachRow; unknown fields are skipped so older tables accept newer writers. */
export async function insertRows(ch: ClickHouseClient, table: SqlFragment, rows: object[]): Promise<void> {
  if (rows.length === 0) return;
  try {
    await ch.insert({
      table: table.text,
      values: rows,
      format: 'JSONEachRow',
      clickhouse_settings: { input_format_skip_unknown_fields: 1 },
    });
  } catch (err) {
    throw wrapError(err);
  }
}

/** Connection failures become LW_ERR_CLICKHOUSE_UNAVAILABLE (retriable); SQL errors stay as they are. */
export function wrapError(err: unknown): unknown {
  if (isRetriable(err) || /socket hang up|ECONNREFUSED|ECONNRESET|Timeout error/i.test(String(err))) {
    return ClickHouseUnavailable('the configured CLICKHOUSE_URL', { cause: err });
  }
  return err;
}
