// What Grafana does with a dashboard's queries, for tests (Grafana itself does not run on our machines):
// template and global variables substituted, the ClickHouse plugin's macros expanded, Infinity's root
// selector and column selectors applied (the backend parser's: gjson paths such as `incidents`,
// `actor.type`, `deadlines.0.due_at`; an object as one row; grafana/infinity-libs jsonframer). Only what dashboards/ uses; anything else fails loudly, so a
// dashboard that starts using a new macro fails its test until the expander knows it.

export interface DataSourceRef {
  type?: string;
  uid?: string;
}

export interface InfinityTarget {
  refId: string;
  datasource?: DataSourceRef;
  type?: string;
  source?: string;
  url: string;
  url_options?: { params?: { key: string; value: string }[] };
  root_selector?: string;
  columns?: { selector: string; text?: string; type?: string }[];
}

export interface ClickHouseTarget {
  refId: string;
  datasource?: DataSourceRef;
  rawSql: string;
  /** 0 time series, 1 table (the plugin's Format) */
  format?: number;
}

export interface PromTarget {
  refId: string;
  datasource?: DataSourceRef;
  expr: string;
  instant?: boolean;
  range?: boolean;
}

export type Target = InfinityTarget | ClickHouseTarget | PromTarget;

export interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: DataSourceRef;
  targets?: Target[];
  panels?: Panel[];
}

export interface Variable {
  name: string;
  type: string;
  datasource?: DataSourceRef;
  query?: string;
  current?: { value: string };
  options?: { value: string; selected?: boolean }[];
}

export interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: Panel[];
  templating?: { list: Variable[] };
  annotations?: { list: { name: string; datasource?: DataSourceRef; target?: Target }[] };
}

export const DATASOURCE_TYPES = {
  'leakwatch-api': 'yesoreyeram-infinity-datasource',
  'leakwatch-clickhouse': 'grafana-clickhouse-datasource',
  'leakwatch-prometheus': 'prometheus',
} as const;
export type DataSourceUid = keyof typeof DATASOURCE_TYPES;

/** The datasource a target runs on: its own, else its panel's. Throws unless it is one of ours, by uid. */
export function targetDataSource(panel: { datasource?: DataSourceRef }, t: Target): DataSourceUid {
  const ds = t.datasource ?? panel.datasource;
  const uid = ds?.uid;
  if (!uid || !(uid in DATASOURCE_TYPES))
    throw new Error(`datasource not referenced by a known uid: ${JSON.stringify(ds)}`);
  const want = DATASOURCE_TYPES[uid as DataSourceUid];
  if (ds.type !== want) throw new Error(`datasource ${uid} has type ${ds.type}, expected ${want}`);
  return uid as DataSourceUid;
}

/** Every panel of a dashboard, rows' nested panels included. */
export function allPanels(d: Dashboard): Panel[] {
  return d.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
}

/**
 * Grafana's template-variable substitution: `$name`, `${name}` and `${name:format}` for dashboard
 * variables and the globals (`__from`, `__to`, `__interval`, `__interval_ms`, `__rate_interval`).
 * Names that are not variables (the ClickHouse plugin's `$__timeFilter`, `$__interval_s`) stay for the
 * macro expander, as in Grafana, where the plugin expands them after the variables.
 */
export function substituteVariables(text: string, vars: Record<string, string>): string {
  return text.replace(/\$\{(\w+)(?::\w+)?\}|\$(\w+)/g, (whole, braced?: string, bare?: string) => {
    const name = (braced ?? bare) as string;
    const v = vars[name];
    if (v !== undefined) return v;
    if (braced !== undefined) throw new Error(`unknown variable \${${name}} in ${JSON.stringify(text)}`);
    return whole;
  });
}

/**
 * The Grafana ClickHouse plugin's macros (grafana-clickhouse-datasource v4), for the ones dashboards/ uses:
 * `$__timeFilter(col)` -> `col >= toDateTime(from_s) AND col <= toDateTime(to_s)`, `$__fromTime`,
 * `$__toTime` -> `toDateTime(s)`, `$__interval_s` -> the interval in seconds. Anything else starting with
 * `$__` is an error here.
 */
export function expandClickHouseMacros(
  sql: string,
  range: { fromMs: number; toMs: number; intervalS: number },
): string {
  const from = Math.floor(range.fromMs / 1000);
  const to = Math.floor(range.toMs / 1000);
  const out = sql
    .replace(
      /\$__timeFilter\(\s*([\w.]+)\s*\)/g,
      (_m, c: string) => `${c} >= toDateTime(${from}) AND ${c} <= toDateTime(${to})`,
    )
    .replace(/\$__fromTime\b/g, `toDateTime(${from})`)
    .replace(/\$__toTime\b/g, `toDateTime(${to})`)
    .replace(/\$__interval_s\b/g, String(range.intervalS));
  const left = /\$__\w+/.exec(out);
  if (left) throw new Error(`macro ${left[0]} is not expanded by test/support/grafana.ts`);
  return out;
}

/**
 * The column names a SQL panel reads: per item of its outermost SELECT list (from the first SELECT to the
 * first FROM at the start of a line, the layout dashboards/ keeps), the `AS alias`, or the column itself.
 */
export function selectAliases(sql: string): string[] {
  const m = /^\s*SELECT\b([\s\S]*?)^FROM\b/m.exec(sql);
  if (!m) throw new Error(`no top-level SELECT ... FROM (FROM at the start of a line) in ${sql}`);
  const items: string[] = [];
  let depth = 0;
  let quoted = false;
  let cur = '';
  for (const ch of m[1] as string) {
    if (ch === "'") quoted = !quoted;
    if (!quoted && (ch === '(' || ch === '[')) depth++;
    if (!quoted && (ch === ')' || ch === ']')) depth--;
    if (!quoted && depth === 0 && ch === ',') {
      items.push(cur);
      cur = '';
    } else cur += ch;
  }
  items.push(cur);
  return items.map((raw) => {
    const item = raw.trim();
    const alias = /\bAS\s+(\w+)$/i.exec(item);
    if (alias) return alias[1] as string;
    const column = /^(?:\w+\.)?(\w+)$/.exec(item);
    if (column) return column[1] as string;
    throw new Error(`SELECT item without an alias: ${item}`);
  });
}

/** Infinity's selectors (`a.b`, `a.0.b`): a dotted path into the JSON. */
export function select(value: unknown, path: string): unknown {
  if (!path) return value;
  let cur: unknown = value;
  for (const key of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

/** The rows Infinity makes of a response: the root selector's array, or its object as one row. */
export function infinityRows(body: unknown, rootSelector: string | undefined): unknown[] {
  const root = select(body, rootSelector ?? '');
  if (Array.isArray(root)) return root;
  if (root !== null && typeof root === 'object') return [root];
  throw new Error(
    `root selector ${JSON.stringify(rootSelector ?? '')} gives ${JSON.stringify(root)}, not rows`,
  );
}

/** An Infinity target's URL with its params, variables substituted, relative to the datasource's base URL. */
export function infinityUrl(t: InfinityTarget, baseUrl: string, vars: Record<string, string>): URL {
  const url = new URL(substituteVariables(t.url, vars), baseUrl);
  for (const p of t.url_options?.params ?? [])
    url.searchParams.set(p.key, substituteVariables(p.value, vars));
  return url;
}
