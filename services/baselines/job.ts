// The baseline job: 5-minute rollups (entity_stats_5m) over the lookback → detector windows →
// robust statistics per entity × feature × hour of week, per peer group (tenant + peer class) and
// per tenant → `baselines`, then one `baseline_runs` row that makes the run visible to readers.
//
// One streaming pass per chunk of principals (hash split, so each query sorts a bounded number of
// rows and no socket waits long for its first byte); each entity is finished before the next one
// arrives. Windows the rollup double-counted (replayed inserts, see 0006_entity_stats_5m.sql) are
// recomputed from access_events before their entity is summarised.
import type { ClickHouseClient } from '#shared/clickhouse/client.js';
import { command, insertRows, queryRows, wrapError } from '#shared/clickhouse/client.js';
import type { BaselineRow } from '#shared/clickhouse/rows.js';
import { type SqlFragment, table } from '#shared/clickhouse/sql.js';
import type { Logger } from '#shared/log.js';
import { baselineMetrics as m } from './metrics.js';
import {
  type BaselineRunRow,
  type ClassRowOf,
  deleteStaleBaselinesQuery,
  latestBucketQuery,
  rawWindowsQuery,
  rollupRowsQuery,
  rollupWindowsQuery,
  toClassRow,
  type WindowRange,
  type WindowRowOut,
} from './queries.js';
import {
  ALL_HOURS,
  entityStatistics,
  FEATURES,
  type Feature,
  hourOfWeek,
  Reservoir,
  type Summary,
  seededRandom,
} from './stats.js';
import {
  assembleWindows,
  entityFromPrincipal,
  lookbackRange,
  replaceWindows,
  windowSeconds,
} from './windows.js';

export interface BaselineJobOptions {
  database: string;
  /** Detector window, a multiple of 5 minutes. */
  windowMs: number;
  lookbackDays: number;
  minHistory: number;
  /** Windows sampled per peer group and tenant. */
  groupSample: number;
  /** Rollup rows per query at most (principals are split into that many chunks). Default 2,000,000. */
  chunkRows?: number;
  /** Rows per insert into baselines. Default 20,000. */
  insertRows?: number;
  /** Dirty windows recomputed per access_events query. Default 500. */
  dirtyKeysPerQuery?: number;
  now?: () => number;
  signal?: AbortSignal;
}

export interface BaselineJobResult {
  /** The run's version (its start, epoch ms); null when there were no rollups to read. */
  version: number | null;
  dataFromMs: number;
  dataToMs: number;
  chunks: number;
  entities: number;
  windows: number;
  dirtyWindows: number;
  rows: number;
}

export async function runBaselineJob(
  ch: ClickHouseClient,
  o: BaselineJobOptions,
  log: Logger,
): Promise<BaselineJobResult> {
  const now = o.now ?? Date.now;
  const started = now();
  const version = started;
  const computedAt = Math.floor(started / 1000);
  windowSeconds(o.windowMs);
  const db = o.database;
  const result: BaselineJobResult = {
    version: null,
    dataFromMs: 0,
    dataToMs: 0,
    chunks: 0,
    entities: 0,
    windows: 0,
    dirtyWindows: 0,
    rows: 0,
  };

  const [latest] = await queryRows<{ latest: string | number; n: string | number }>(
    ch,
    latestBucketQuery(db, started),
  );
  if (latest === undefined || Number(latest.n) === 0) {
    log.info('baselines: no rollups yet; nothing written');
    return result;
  }
  const range = {
    ...lookbackRange(Number(latest.latest) * 1000, started, o.windowMs, o.lookbackDays),
    windowMs: o.windowMs,
  };
  result.dataFromMs = range.fromMs;
  result.dataToMs = range.toMs;
  const [count] = await queryRows<{ n: string | number }>(ch, rollupRowsQuery(db, range));
  const chunks = Math.max(1, Math.ceil(Number(count?.n ?? 0) / (o.chunkRows ?? 2_000_000)));
  result.chunks = chunks;

  const out = new BatchWriter(ch, table(db, 'baselines'), o.insertRows ?? 20_000);
  const random = seededRandom(1);
  const groups = new Map<string, { tenant: string; peerClass: string | null; sample: Reservoir }>();
  const sampleOf = (tenant: string, peerClass: string | null): Reservoir => {
    const key = peerClass === null ? tenant : `${tenant}\u0001${peerClass}`;
    let g = groups.get(key);
    if (g === undefined) {
      g = { tenant, peerClass, sample: new Reservoir(o.groupSample, random) };
      groups.set(key, g);
    }
    return g.sample;
  };
  const base = { window_ms: o.windowMs, computed_at: computedAt, version };
  const statRows = (
    stats: Record<Feature, Summary>,
    key: Pick<
      BaselineRow,
      'tenant' | 'scope' | 'peer_class' | 'entity_type' | 'entity_value' | 'hour_of_week'
    >,
  ): BaselineRow[] =>
    FEATURES.map((feature) => {
      const s = stats[feature];
      return { ...key, feature, median: s.median, mad: s.mad, p95: s.p95, n: s.n, ...base };
    });

  /** Summarises one entity whose windows are all exact. */
  const summarise = (tenant: string, principal: string, rows: readonly ClassRowOf[]): void => {
    const windows = assembleWindows(rows);
    result.entities++;
    result.windows += windows.length;
    for (const w of windows) {
      sampleOf(tenant, w.peerClass).add(w.features);
      sampleOf(tenant, null).add(w.features);
    }
    const entity = entityFromPrincipal(principal);
    const hourly = windows.map((w) => ({ hour: hourOfWeek(w.windowStart), features: w.features }));
    for (const s of entityStatistics(hourly, o.minHistory)) {
      out.push(
        statRows(s.features, {
          tenant,
          scope: 'entity',
          peer_class: '',
          entity_type: entity.type,
          entity_value: entity.value,
          hour_of_week: s.hour,
        }),
      );
    }
  };

  for await (const e of readEntityWindows(ch, db, range, {
    chunks,
    dirtyKeysPerQuery: o.dirtyKeysPerQuery,
    signal: o.signal,
  })) {
    result.dirtyWindows += e.recomputed;
    if (e.rows.length > 0) summarise(e.tenant, e.principal, e.rows);
    await out.flushIfFull();
  }
  m.dirtyWindows.inc(result.dirtyWindows);

  for (const g of groups.values()) {
    const stats = g.sample.statistics(o.minHistory);
    if (stats === null) continue;
    out.push(
      statRows(stats, {
        tenant: g.tenant,
        scope: g.peerClass === null ? 'global' : 'peer',
        peer_class: g.peerClass ?? '',
        entity_type: '',
        entity_value: '',
        hour_of_week: ALL_HOURS,
      }),
    );
  }
  await out.flush();
  result.rows = out.written;
  m.rowsWritten.inc(out.written);

  // The run becomes visible to readers only now, complete.
  const finished = now();
  const run: BaselineRunRow = {
    version,
    window_ms: o.windowMs,
    started_at: computedAt,
    finished_at: Math.floor(finished / 1000),
    data_from: Math.floor(range.fromMs / 1000),
    data_to: Math.floor(range.toMs / 1000),
    entities: result.entities,
    windows: result.windows,
    dirty_windows: result.dirtyWindows,
    rows: result.rows,
  };
  await insertRows(ch, table(db, 'baseline_runs'), [run]);
  result.version = version;
  try {
    await command(ch, deleteStaleBaselinesQuery(db, version));
  } catch (err) {
    // Readers ignore rows of older runs already; the next run deletes them.
    log.warn({ err }, 'baselines: deleting rows of older runs failed');
  }
  log.info({ ...result, ms: finished - started }, 'baselines computed');
  return result;
}

export interface EntityRows {
  tenant: string;
  principal: string;
  /** Class rows per window, exact: double-counted windows recomputed (or dropped when their events are gone). */
  rows: ClassRowOf[];
  /** Windows of this entity recomputed from access_events. */
  recomputed: number;
}

/**
 * The rollup as it should be read: every entity's windows in the range, each event counted once.
 * Clean entities stream through in (tenant, principal) order per chunk; entities with a
 * double-counted window are held back and come last, their dirty windows recomputed from
 * access_events FINAL (a replay is rare, so this re-read is small).
 */
export async function* readEntityWindows(
  ch: ClickHouseClient,
  db: string,
  range: WindowRange,
  o: { chunks?: number; dirtyKeysPerQuery?: number; signal?: AbortSignal } = {},
): AsyncGenerator<EntityRows> {
  const chunks = o.chunks ?? 1;
  const deferred: EntityRows[] = [];
  for (let chunk = 0; chunk < chunks; chunk++) {
    let cur: EntityRows | null = null;
    const q = rollupWindowsQuery(db, range, { index: chunk, count: chunks });
    for await (const raw of streamRows<WindowRowOut>(ch, q, o.signal)) {
      const r = toClassRow(raw);
      if (cur !== null && (cur.tenant !== r.tenant || cur.principal !== r.principal)) {
        if (cur.rows.some((x) => x.dirty)) deferred.push(cur);
        else yield cur;
        cur = null;
      }
      cur ??= { tenant: r.tenant, principal: r.principal, rows: [], recomputed: 0 };
      cur.rows.push(r);
    }
    if (cur !== null) {
      if (cur.rows.some((x) => x.dirty)) deferred.push(cur);
      else yield cur;
    }
  }

  const byTenant = new Map<string, EntityRows[]>();
  for (const p of deferred) {
    const list = byTenant.get(p.tenant) ?? [];
    list.push(p);
    byTenant.set(p.tenant, list);
  }
  const per = o.dirtyKeysPerQuery ?? 500;
  for (const [tenant, list] of byTenant) {
    const keys: { principal: string; windowStart: number }[] = [];
    for (const p of list)
      for (const start of dirtyStarts(p.rows)) keys.push({ principal: p.principal, windowStart: start });
    const fresh = new Map<string, ClassRowOf[]>();
    for (let i = 0; i < keys.length; i += per) {
      const rows = await queryRows<WindowRowOut>(
        ch,
        rawWindowsQuery(db, tenant, keys.slice(i, i + per), range.windowMs),
      );
      for (const raw of rows) {
        const r = { ...toClassRow(raw), dirty: false };
        const l = fresh.get(r.principal) ?? [];
        l.push(r);
        fresh.set(r.principal, l);
      }
    }
    for (const p of list) {
      const starts = dirtyStarts(p.rows);
      yield {
        tenant,
        principal: p.principal,
        rows: replaceWindows(p.rows, starts, fresh.get(p.principal) ?? []),
        recomputed: starts.size,
      };
    }
  }
}

function dirtyStarts(rows: readonly ClassRowOf[]): Set<number> {
  const s = new Set<number>();
  for (const r of rows) if (r.dirty) s.add(r.windowStart);
  return s;
}

/** Rows of a SELECT as they arrive (JSONEachRow), so a large result is never held at once. */
async function* streamRows<T>(ch: ClickHouseClient, q: SqlFragment, signal?: AbortSignal): AsyncGenerator<T> {
  try {
    const rs = await ch.query({
      query: q.text,
      format: 'JSONEachRow',
      ...(signal ? { abort_signal: signal } : {}),
    });
    for await (const rows of rs.stream()) for (const row of rows) yield row.json<T>();
  } catch (err) {
    throw wrapError(err);
  }
}

class BatchWriter {
  private buf: BaselineRow[] = [];
  written = 0;

  constructor(
    private readonly ch: ClickHouseClient,
    private readonly target: SqlFragment,
    private readonly batch: number,
  ) {}

  push(rows: BaselineRow[]): void {
    for (const r of rows) this.buf.push(r);
  }

  async flushIfFull(): Promise<void> {
    if (this.buf.length >= this.batch) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.buf.length === 0) return;
    const rows = this.buf;
    this.buf = [];
    await insertRows(this.ch, this.target, rows);
    this.written += rows.length;
  }
}
