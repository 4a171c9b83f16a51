// The ClickHouse BaselineStore: serves what the baseline job (services/baselines) wrote to
// `baselines`, from memory. get() is synchronous and never waits for ClickHouse:
//   * every-hour rows (each entity's, each peer group's, each tenant's) load at start and again
//     whenever a newer finished run appears in `baseline_runs` (checked every reloadMs);
//   * an entity's seasonal rows load per hour of week, the first time get() is asked for that hour.
//     The hour comes from the window's start, i.e. event time, so a replay of old logs loads the
//     hours it replays. Until an hour has loaded, its lookups fall back to the every-hour rows.
// Fallback order and Baseline shape are the in-memory store's: the entity at this hour of week
// (±1 h), the entity over every hour, its peer group (tenant + peer class), its tenant.
// When ClickHouse does not answer, the cache keeps serving; the outage is logged once and each
// failed load counted. Memory is bounded: at most maxEntries baselines and cachedHours hours of
// week (the least recently used hour is dropped first).
import type { BaselineSummary, Entity } from '#shared/avro/generated/alert.js';
import { type ClickHouseClient, queryRows } from '#shared/clickhouse/client.js';
import type { BaselineRowOut } from '#shared/clickhouse/rows.js';
import type { Config } from '#shared/config.js';
import type { Logger } from '#shared/log.js';
import { detectorMetrics } from '../metrics.js';
import type { Baseline, BaselineSource, BaselineStore, WindowFeatures } from '../rules/types.js';
import { BASELINE_FEATURES, hourOfWeek, MEMORY_BASELINE_DEFAULTS } from './memory-store.js';
import { baselineRowsQuery, latestRunQuery } from './queries.js';
import { createPartitionEntities, createTenantGroups, PartitionBaselineStore } from './tenant-groups.js';

/** `baselines.hour_of_week` of every-hour rows (services/baselines/stats.ts ALL_HOURS). */
const ALL_HOURS = -1;
const WEEK_HOURS = 168;
const NF = BASELINE_FEATURES.length;

export interface ClickHouseBaselineOptions {
  database: string;
  /** Only baselines computed for this window length are used. */
  windowMs: number;
  /** Statistics over fewer windows are ignored. */
  minHistory: number;
  /** How often to look for a newer finished run. */
  reloadMs: number;
  /** Baselines held at most. */
  maxEntries: number;
  /** Hours of week whose seasonal baselines are held at most. */
  cachedHours: number;
  /** After a failed load, lookups wait this long before asking ClickHouse again. Default min(reloadMs, 30 s). */
  retryMs?: number;
}

const entityKey = (tenant: string, type: string, value: string) => `${tenant}\u0000${type}\u0000${value}`;
const peerKey = (tenant: string, peerClass: string) => `${tenant}\u0001${peerClass}`;
const tenantKey = (tenant: string) => `${tenant}\u0002`;

function keyOf(r: BaselineRowOut): { key: string; source: BaselineSource } | null {
  switch (r.scope) {
    case 'entity':
      return { key: entityKey(r.tenant, r.entity_type, r.entity_value), source: 'entity' };
    case 'peer':
      return { key: peerKey(r.tenant, r.peer_class), source: 'peer' };
    case 'global':
      return { key: tenantKey(r.tenant), source: 'global' };
    default:
      return null;
  }
}

export class ClickHouseBaselineStore implements BaselineStore {
  private readonly retryMs: number;
  /** Version of the run the cache holds; null: no finished run yet (or not asked yet). */
  private version: number | null = null;
  private loadedOnce = false;
  /** Every-hour baselines: entities, peer groups, tenants. */
  private general = new Map<string, Baseline>();
  /** Seasonal entity baselines per hour of week. */
  private hours = new Map<number, Map<string, Baseline>>();
  private readonly hourUsed = new Float64Array(WEEK_HOURS);
  private tick = 0;
  /** Hours asked for and not loaded yet. */
  private readonly wanted = new Set<number>();
  private chain: Promise<unknown> = Promise.resolve();
  private pending = 0;
  private failedAt = Number.NEGATIVE_INFINITY;
  private down = false;
  private truncatedWarned = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly ch: ClickHouseClient,
    private readonly opts: ClickHouseBaselineOptions,
    private readonly log: Logger,
  ) {
    this.retryMs = opts.retryMs ?? Math.min(opts.reloadMs, 30_000);
  }

  /** Baselines held. */
  get size(): number {
    let n = this.general.size;
    for (const m of this.hours.values()) n += m.size;
    return n;
  }

  get(entity: Entity, tenant: string, windowStart: number, peerClass = 'none'): Baseline | undefined {
    const hour = hourOfWeek(windowStart);
    const key = entityKey(tenant, entity.type, entity.value);
    const season = this.hours.get(hour);
    if (season === undefined) this.want(hour);
    else this.hourUsed[hour] = ++this.tick;
    return (
      season?.get(key) ??
      this.general.get(key) ??
      this.general.get(peerKey(tenant, peerClass)) ??
      this.general.get(tenantKey(tenant))
    );
  }

  /** First load (never throws: an unreachable ClickHouse leaves the cache empty), then every reloadMs. */
  async start(): Promise<void> {
    await this.reload();
    if (this.stopped) return;
    this.timer = setInterval(() => void this.reload(), this.opts.reloadMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.idle();
  }

  /** Loads a newer finished run if there is one (and any hours asked for); false when ClickHouse failed. */
  reload(): Promise<boolean> {
    return this.enqueue(true);
  }

  /** Resolves once no load is queued or running. */
  async idle(): Promise<void> {
    while (this.pending > 0) await this.chain;
  }

  private want(hour: number): void {
    this.wanted.add(hour);
    this.kick();
  }

  /** Loads the hours asked for, unless a load is under way or ClickHouse failed within retryMs. */
  private kick(): void {
    if (this.pending > 0 || this.stopped || Date.now() - this.failedAt < this.retryMs) return;
    void this.enqueue(false);
  }

  /** Loads run one at a time; hours asked for during one are loaded right after it. */
  private enqueue(checkVersion: boolean): Promise<boolean> {
    this.pending++;
    const p = this.chain.then(() => this.sync(checkVersion));
    this.chain = p.then((ok) => {
      this.pending--;
      // After a failure the hours wait for the next lookup past retryMs, or the next reload.
      if (ok && this.pending === 0 && this.wanted.size > 0) this.kick();
    });
    return p;
  }

  private async sync(checkVersion: boolean): Promise<boolean> {
    try {
      const asked = [...this.wanted];
      if (checkVersion || !this.loadedOnce) {
        const [run] = await queryRows<{ v: string | number; n: string | number }>(
          this.ch,
          latestRunQuery(this.opts.database, this.opts.windowMs),
        );
        const version = run !== undefined && Number(run.n) > 0 ? Number(run.v) : null;
        if (!this.loadedOnce || version !== this.version) {
          await this.loadAll(version, asked);
          this.recovered();
          return true;
        }
      }
      if (asked.length > 0) await this.loadHours(asked);
      this.recovered();
      return true;
    } catch (err) {
      detectorMetrics.baselineReloadFailures.inc();
      this.failedAt = Date.now();
      if (!this.down) {
        this.down = true;
        this.log.warn(
          { err },
          'ClickHouse baselines could not be loaded; serving the cached baselines until it answers',
        );
      }
      return false;
    }
  }

  private recovered(): void {
    if (this.down) {
      this.down = false;
      this.log.info({ entries: this.size }, 'ClickHouse baselines loaded again');
    }
  }

  /** Replaces the whole cache with a run's rows: every-hour rows, then the hours held or asked for. */
  private async loadAll(version: number | null, asked: number[]): Promise<void> {
    const keep = [...this.hours.keys()]
      .sort((a, b) => (this.hourUsed[b] as number) - (this.hourUsed[a] as number))
      .filter((h) => !asked.includes(h));
    const hours = [...asked, ...keep].slice(0, this.opts.cachedHours);
    const general = new Map<string, Baseline>();
    const byHour = new Map<number, Map<string, Baseline>>();
    for (const h of hours) byHour.set(h, new Map());
    if (version !== null) {
      this.truncatedWarned = false;
      await this.fetch(version, ALL_HOURS, this.opts.maxEntries, general);
      let room = this.opts.maxEntries - general.size;
      for (const h of hours) {
        const m = byHour.get(h)!;
        await this.fetch(version, h, room, m);
        room -= m.size;
      }
    }
    this.version = version;
    this.loadedOnce = true;
    this.general = general;
    this.hours = byHour;
    for (const h of hours) this.wanted.delete(h);
    for (const h of asked) this.wanted.delete(h);
    detectorMetrics.baselineRunVersion.set(version === null ? 0 : Math.floor(version / 1000));
    this.updateGauge();
  }

  /** Loads hours of the cached run, dropping the least recently used hours beyond the bounds. */
  private async loadHours(asked: number[]): Promise<void> {
    for (const h of asked) {
      if (this.hours.has(h)) {
        this.wanted.delete(h);
        continue;
      }
      const m = new Map<string, Baseline>();
      if (this.version !== null) {
        this.makeRoom();
        await this.fetch(this.version, h, this.opts.maxEntries - this.size, m);
      }
      this.hours.set(h, m);
      this.hourUsed[h] = ++this.tick;
      this.wanted.delete(h);
    }
    this.updateGauge();
  }

  /**
   * Before a new hour loads: drops the least recently used hours until one more fits cachedHours
   * and the rest leave it an even share of the entries the every-hour rows leave over.
   */
  private makeRoom(): void {
    const { cachedHours, maxEntries } = this.opts;
    const budget = ((maxEntries - this.general.size) * (cachedHours - 1)) / cachedHours;
    let held = this.size - this.general.size;
    const order = [...this.hours.keys()].sort(
      (a, b) => (this.hourUsed[a] as number) - (this.hourUsed[b] as number),
    );
    for (const h of order) {
      if (this.hours.size < cachedHours && held <= budget) break;
      held -= this.hours.get(h)!.size;
      this.hours.delete(h);
    }
  }

  /** Adds a run's rows of one hour of week (or ALL_HOURS) to `into`, at most maxEntries baselines. */
  private async fetch(
    version: number,
    hour: number,
    maxEntries: number,
    into: Map<string, Baseline>,
  ): Promise<void> {
    if (maxEntries <= 0) {
      this.warnTruncated();
      return;
    }
    const limit = maxEntries * NF;
    const rows = await queryRows<BaselineRowOut>(
      this.ch,
      baselineRowsQuery(this.opts.database, {
        windowMs: this.opts.windowMs,
        version,
        minHistory: this.opts.minHistory,
        hours: [hour],
        limit,
      }),
    );
    if (rows.length >= limit) this.warnTruncated();
    for (const r of rows) {
      const k = keyOf(r);
      if (k === null) continue;
      let b = into.get(k.key);
      if (b === undefined) {
        b = { source: k.source, features: {} };
        into.set(k.key, b);
      }
      (b.features as Record<string, BaselineSummary>)[r.feature] = {
        p50: Number(r.median),
        p95: Number(r.p95),
        mad: Number(r.mad),
        n: Number(r.n),
      };
    }
  }

  private warnTruncated(): void {
    if (this.truncatedWarned) return;
    this.truncatedWarned = true;
    this.log.warn(
      { maxEntries: this.opts.maxEntries },
      'baseline cache full (baselines.maxCachedEntries): some baselines are not loaded and fall back to peer or tenant baselines',
    );
  }

  private updateGauge(): void {
    detectorMetrics.baselineCachedEntries.set(this.size);
  }
}

const RANK: Readonly<Record<BaselineSource, number>> = { entity: 3, peer: 2, global: 1 };

/**
 * ClickHouse baselines first, the stream-learnt ones where they know more: the entity's own history
 * (from either) beats a peer group, which beats the tenant. So a new deployment, an empty
 * `baselines` table or an entity newer than the last run behave as the in-memory store does.
 */
export class LayeredBaselineStore implements BaselineStore {
  constructor(
    private readonly primary: BaselineStore,
    private readonly fallback: BaselineStore,
  ) {}

  get(entity: Entity, tenant: string, windowStart: number, peerClass: string): Baseline | undefined {
    const a = this.primary.get(entity, tenant, windowStart, peerClass);
    if (a?.source === 'entity') return a;
    const b = this.fallback.get(entity, tenant, windowStart, peerClass);
    if (b === undefined) return a;
    if (a === undefined) return b;
    return RANK[b.source] > RANK[a.source] ? b : a;
  }

  observe(entity: Entity, tenant: string, windowStart: number, peerClass: string, f: WindowFeatures): void {
    this.fallback.observe?.(entity, tenant, windowStart, peerClass, f);
  }
}

export interface BaselineStoreHandle {
  /**
   * A store for one partition's engine: the shared ClickHouse cache over a stream-learnt layer:
   * the partition's own entity histories (a partition's rebuild re-learns only its own entities),
   * and peer and tenant groups learnt once per process from every partition (tenant-groups.ts), so
   * peer thresholds do not depend on the partitioning. `share` is the partition's part of the
   * entity histories.
   */
  forPartition(share: number): BaselineStore;
  /** Loads what it can (never fails on ClickHouse being down), then keeps reloading. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function clickHouseStoreOptions(cfg: Readonly<Config>): ClickHouseBaselineOptions {
  return {
    database: cfg.clickhouse.database,
    windowMs: cfg.detector.windowMs,
    minHistory: cfg.baselines.minHistory,
    reloadMs: cfg.baselines.reloadMs,
    maxEntries: cfg.baselines.maxCachedEntries,
    cachedHours: cfg.baselines.cachedHours,
  };
}

/**
 * The detector's baseline store as configured (detector.baselineStore): 'clickhouse' = ClickHouse
 * baselines layered over stream learning; 'memory' = stream learning only. `ch` is the detector's
 * one ClickHouse client (its owner closes it).
 */
export function createBaselineStore(
  cfg: Readonly<Config>,
  log: Logger,
  ch: ClickHouseClient,
): BaselineStoreHandle {
  // Entity histories per partition, peer and tenant groups once per process (tenant-groups.ts).
  const groups = createTenantGroups({ minHistory: cfg.baselines.minHistory });
  const learner = (share: number) =>
    new PartitionBaselineStore(
      createPartitionEntities({
        minHistory: cfg.baselines.minHistory,
        maxEntities: Math.max(1000, Math.ceil(MEMORY_BASELINE_DEFAULTS.maxEntities * share)),
      }),
      groups,
    );
  const memoryOnly = { forPartition: learner, start: async () => {}, stop: async () => {} };
  if (cfg.detector.baselineStore === 'memory') return memoryOnly;
  if (cfg.detector.windowMs % 300_000 !== 0) {
    // The job cannot regroup 5-minute rollups into such windows, so there would never be rows.
    log.warn(
      { windowMs: cfg.detector.windowMs },
      'detector.windowMs is not a multiple of 5 minutes: ClickHouse baselines cannot be used; learning from the stream only',
    );
    return memoryOnly;
  }
  const store = new ClickHouseBaselineStore(
    ch,
    clickHouseStoreOptions(cfg),
    log.child({ component: 'baselines' }),
  );
  return {
    forPartition: (share) => new LayeredBaselineStore(store, learner(share)),
    start: () => store.start(),
    stop: () => store.stop(),
  };
}
