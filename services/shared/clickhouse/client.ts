// The one place @clickhouse/client is constructed. Settings are an allow-list known to both
// 18.16 and 24.x+ (notes/clickhouse-compat.md §5.2): an unknown setting fails the whole query.
import {
  type ClickHouseClient,
  ClickHouseError,
  ClickHouseLogLevel,
  type ClickHouseSettings,
  createClient,
} from '@clickhouse/client';
import type { Config } from '../config.js';
import { ClickHouseUnavailable, isRetriable } from '../errors.js';
import type { SqlFragment } from './sql.js';

export type { ClickHouseClient, ClickHouseSettings };

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
    // The client's own logger prints each failed request as many plain-text lines among the
    // services' JSON logs; every failure reaches the caller as an error, which logs it (one JSON
    // line, with the retry it is in), so that logger is off.
    log: { level: ClickHouseLogLevel.OFF },
  });
}

/**
 * Runs a SELECT and returns its rows (JSONEachRow). `settings` (optional) are sent with this query
 * only, e.g. `{ max_execution_time: 10 }`; keep to the allow-list of notes/clickhouse-compat.md §5.2.
 */
export async function queryRows<T>(
  ch: ClickHouseClient,
  q: SqlFragment,
  settings?: ClickHouseSettings,
): Promise<T[]> {
  try {
    const rs = await ch.query({
      query: q.text,
      format: 'JSONEachRow',
      ...(settings && { clickhouse_settings: settings }),
    });
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

/**
 * Connection failures, and a query stopped by the server for taking too long (max_execution_time:
 * TIMEOUT_EXCEEDED 159, TOO_SLOW 160), become LW_ERR_CLICKHOUSE_UNAVAILABLE (retriable); other SQL
 * errors stay as they are (the API maps them to LW_ERR_CLICKHOUSE_QUERY_FAILED).
 */
export function wrapError(err: unknown): unknown {
  // Node's socket errors carry their code (ECONNREFUSED; ECONNRESET for "socket hang up").
  if (isRetriable(err) || isRequestTimeout(err)) {
    return ClickHouseUnavailable('the configured CLICKHOUSE_URL', { cause: err });
  }
  const code = clickHouseErrorCode(err);
  if (code === 159 || code === 160) {
    return ClickHouseUnavailable('the configured CLICKHOUSE_URL (query timed out)', {
      cause: err,
      details: { clickhouseCode: code },
    });
  }
  return err;
}

/**
 * The client's own request_timeout: the one failure @clickhouse/client raises with neither a code nor
 * a class of its own (a plain `new Error('Timeout error.')`, connection/socket_pool.js), so its fixed
 * text is its only mark.
 */
function isRequestTimeout(err: unknown): boolean {
  return (
    err instanceof Error &&
    err.constructor === Error &&
    (err as { code?: unknown }).code === undefined &&
    err.message === 'Timeout error.'
  );
}

/**
 * The server's error code of a ClickHouse exception, or undefined for anything else. 24.x+ errors
 * parse into ClickHouseError (`code: '159'`); 18.16's answer (`Code: 159, e.displayText() =
 * DB::Exception: ...`) does not match the client's pattern and arrives as a plain Error whose text is
 * the server's only report of the code, so it is read there.
 */
export function clickHouseErrorCode(err: unknown): number | undefined {
  if (err instanceof ClickHouseError) return /^\d+$/.test(String(err.code)) ? Number(err.code) : undefined;
  if (!(err instanceof Error)) return undefined;
  const m = /^\s*Code: (\d+)[.,].*DB::Exception/s.exec(err.message);
  return m ? Number(m[1]) : undefined;
}
