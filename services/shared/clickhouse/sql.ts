// The one place SQL values become text. ClickHouse 18.16 cannot bind query parameters
// (notes/clickhouse-compat.md §2), so values are escaped here and nowhere else:
//   sql`SELECT * FROM ${ident('alerts')} WHERE tenant = ${tenant} AND ts >= ${dateTime(fromMs)}`
// strings are quoted and escaped, numbers must be finite, identifiers come from an allow-list pattern,
// nested sql`` fragments are inserted as they are. Anything else is refused.
import { ClickHouseBadValue } from '../errors.js';

const SQL = Symbol('sql');

export interface SqlFragment {
  readonly [SQL]: true;
  readonly text: string;
  toString(): string;
}

function fragment(text: string): SqlFragment {
  return { [SQL]: true, text, toString: () => text };
}

function isFragment(v: unknown): v is SqlFragment {
  return typeof v === 'object' && v !== null && (v as SqlFragment)[SQL] === true;
}

export function quoteString(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

export function literal(v: unknown): string {
  if (isFragment(v)) return v.text;
  if (typeof v === 'string') return quoteString(v);
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw ClickHouseBadValue(String(v), 'a finite number');
    return String(v);
  }
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'boolean') return v ? '1' : '0';
  if (v === null) return 'NULL';
  if (Array.isArray(v)) return `[${v.map(literal).join(', ')}]`;
  throw ClickHouseBadValue(typeof v, 'a SQL literal');
}

export function sql(strings: TemplateStringsArray, ...values: unknown[]): SqlFragment {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += literal(values[i]) + strings[i + 1]!;
  return fragment(out);
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** A database/table/column name; refused unless it matches the identifier pattern. */
export function ident(name: string): SqlFragment {
  if (!IDENT.test(name)) throw ClickHouseBadValue(JSON.stringify(name), 'an identifier');
  return fragment(name);
}

/** `db.table` with both parts checked. */
export function table(database: string, name: string): SqlFragment {
  return fragment(`${ident(database).text}.${ident(name).text}`);
}

/** Epoch ms -> a DateTime expression in whole seconds (18.16 silently wraps ms: compat §3). */
export function dateTime(epochMs: number): SqlFragment {
  if (!Number.isFinite(epochMs)) throw ClickHouseBadValue(String(epochMs), 'epoch milliseconds');
  return fragment(`toDateTime(${Math.floor(epochMs / 1000)})`);
}

/** A non-negative integer (LIMIT, OFFSET). */
export function uint(n: number): SqlFragment {
  if (!Number.isSafeInteger(n) || n < 0) throw ClickHouseBadValue(String(n), 'a non-negative integer');
  return fragment(String(n));
}

export function join(parts: SqlFragment[], separator: string): SqlFragment {
  return fragment(parts.map((p) => p.text).join(separator));
}

export const raw = (text: string): SqlFragment => fragment(text);
