// Reads and writes of alert statuses for the routes: ClickHouse first (the record), then the status
// topic (so paging follows). If Kafka cannot take the change, the caller gets 503 and may repeat the
// call: a repeated call whose status is already set re-announces it without writing again.
import { LRUCache } from 'lru-cache';
import type { Alert } from '#shared/avro/generated/alert.js';
import type { StatusChange } from '#shared/avro/generated/status-change.js';
import { insertRows, queryRows } from '#shared/clickhouse/client.js';
import { type AlertRowOut, rowToAlert } from '#shared/clickhouse/rows.js';
import { table } from '#shared/clickhouse/sql.js';
import { ApiNotFound, KafkaUnavailable } from '#shared/errors.js';
import type { ApiContext } from '../../context.js';
import { type AlertFilters, currentStatusesQuery, getAlertQuery, listAlertsQuery } from '../../queries.js';
import { newChangeId } from '../../status-publisher.js';
import { NewestAlerts } from './newest.js';

export interface AlertView extends Alert {
  status_changed_by?: string;
  status_changed_at?: number;
  status_reason?: string;
}

type Row = AlertRowOut & {
  status_changed_by?: string;
  status_changed_at_ms?: string | number;
  status_reason?: string;
};

export function rowToAlertView(r: Row): AlertView {
  const a: AlertView = rowToAlert(r);
  const at = Number(r.status_changed_at_ms ?? 0);
  if (at > 0) {
    a.status_changed_by = r.status_changed_by ?? '';
    a.status_changed_at = at;
    a.status_reason = r.status_reason ?? '';
  }
  return a;
}

/**
 * Seconds of last_seen below the newest alert that a list reads first; a short page widens it.
 * The newest 100 of a million alerts over a month are found in the first band.
 */
export const LIST_BANDS_S = [3600, 6 * 3600, 2 * 86_400, 16 * 86_400] as const;

interface ListState {
  newest: NewestAlerts;
  /** Answers of identical list requests, shared while in flight and for alertListCacheMs after. */
  pages?: LRUCache<string, AlertView[], AlertFilters>;
}

const listStates = new WeakMap<ApiContext, ListState>();

function listState(ctx: ApiContext): ListState {
  let s = listStates.get(ctx);
  if (s === undefined) {
    const ttl = ctx.config.api.alertListCacheMs;
    s = { newest: new NewestAlerts(ctx.ch, ctx.db) };
    if (ttl > 0)
      s.pages = new LRUCache<string, AlertView[], AlertFilters>({
        max: 500,
        ttl,
        fetchMethod: (_key, _stale, { context }) => readAlerts(ctx, context, s!.newest),
      });
    listStates.set(ctx, s);
  }
  return s;
}

export async function listAlerts(ctx: ApiContext, f: AlertFilters): Promise<AlertView[]> {
  const s = listState(ctx);
  if (s.pages === undefined) return readAlerts(ctx, f, s.newest);
  const key = JSON.stringify(f, Object.keys(f).sort());
  return (await s.pages.fetch(key, { context: f })) ?? readAlerts(ctx, f, s.newest);
}

async function readAlerts(ctx: ApiContext, f: AlertFilters, newest: NewestAlerts): Promise<AlertView[]> {
  let rows: Row[] | undefined;
  const newestS = f.alertIds === undefined ? await newest.newestS(f) : 0;
  if (newestS > 0) {
    for (const bandS of LIST_BANDS_S) {
      const sinceS = Math.max(0, newestS - bandS);
      const band = await queryRows<Row>(ctx.ch, listAlertsQuery(ctx.db, { ...f, sinceS }));
      if (band.length >= f.limit) {
        rows = band;
        break;
      }
    }
  }
  rows ??= await queryRows<Row>(ctx.ch, listAlertsQuery(ctx.db, f));
  // Without a status filter the page carries the detector's status: put each alert's current one in.
  return f.status?.length
    ? rows.map(rowToAlertView)
    : (await withPersonStatus(ctx, rows)).map(rowToAlertView);
}

interface PersonStatus {
  alert_id: string;
  human_status: string;
  human_actor: string;
  human_at_ms: string | number;
  human_reason: string;
}

async function personStatuses(ctx: ApiContext, ids: readonly string[]): Promise<Map<string, PersonStatus>> {
  if (ids.length === 0) return new Map();
  const rows = await queryRows<PersonStatus>(ctx.ch, currentStatusesQuery(ctx.db, ids));
  return new Map(rows.map((r) => [r.alert_id, r]));
}

async function withPersonStatus(ctx: ApiContext, rows: Row[]): Promise<Row[]> {
  const current = await personStatuses(
    ctx,
    rows.map((r) => r.alert_id),
  );
  return rows.map((r) => {
    const p = current.get(r.alert_id);
    return p === undefined
      ? r
      : {
          ...r,
          status: p.human_status,
          status_changed_by: p.human_actor,
          status_changed_at_ms: p.human_at_ms,
          status_reason: p.human_reason,
        };
  });
}

export async function loadAlert(ctx: ApiContext, alertId: string): Promise<AlertView> {
  const rows = await queryRows<Row>(ctx.ch, getAlertQuery(ctx.db, alertId));
  if (rows.length === 0) throw ApiNotFound(`alert ${alertId}`);
  return rowToAlertView((await withPersonStatus(ctx, rows))[0]!);
}

export interface StatusChangeRow {
  tenant: string;
  alert_id: string;
  change_id: string;
  changed_at: number;
  changed_at_ms: number;
  action: string;
  status: string;
  actor: string;
  reason: string;
  suppression_id: string;
  verdict: string;
}

export function statusChangeRow(
  a: Pick<Alert, 'tenant' | 'alert_id'>,
  c: {
    action: string;
    status: string;
    actor: string;
    reason?: string;
    suppressionId?: string;
    verdict?: string;
  },
  now: number,
): StatusChangeRow {
  return {
    tenant: a.tenant,
    alert_id: a.alert_id,
    change_id: newChangeId(),
    changed_at: Math.floor(now / 1000),
    changed_at_ms: now,
    action: c.action,
    status: c.status,
    actor: c.actor,
    reason: c.reason ?? '',
    suppression_id: c.suppressionId ?? '',
    verdict: c.verdict ?? '',
  };
}

export async function writeStatusChanges(ctx: ApiContext, rows: StatusChangeRow[]): Promise<void> {
  await insertRows(ctx.ch, table(ctx.db, 'alert_status_changes'), rows);
  // the person who changed a status sees it in the next list
  listStates.get(ctx)?.pages?.clear();
}

/** What the notifier reads for one alert's change. */
export function alertChange(a: AlertView, row: StatusChangeRow): StatusChange {
  return {
    change_id: row.change_id,
    kind: 'alert',
    object_id: a.alert_id,
    tenant: a.tenant,
    action: row.action,
    status: row.status,
    actor: row.actor,
    reason: row.reason,
    at: row.changed_at_ms,
    incident_id: null,
    alert_ids: [a.alert_id],
    attrs: {
      rule: a.rule,
      severity: a.severity,
      fingerprint: a.fingerprint,
      entity_type: a.entity.type,
      ...(row.verdict ? { verdict: row.verdict } : {}),
      ...(row.suppression_id ? { suppression_id: row.suppression_id } : {}),
    },
  };
}

/**
 * A suppression or allow entry created or deleted: `create` takes the object's id as its change id
 * (a repeated call announces the same change), `delete` a new one.
 */
export function objectChange(
  kind: 'suppression' | 'allow',
  id: string,
  action: 'create' | 'delete',
  c: {
    tenant: string;
    actor: string;
    at: number;
    reason?: string;
    alertIds?: string[];
    attrs: Record<string, string>;
  },
): StatusChange {
  return {
    change_id: action === 'create' ? id : newChangeId(),
    kind,
    object_id: id,
    tenant: c.tenant,
    action,
    status: action === 'create' ? 'active' : 'deleted',
    actor: c.actor,
    reason: c.reason ?? '',
    at: c.at,
    incident_id: null,
    alert_ids: c.alertIds ?? [],
    attrs: c.attrs,
  };
}

export async function announce(ctx: ApiContext, changes: StatusChange[]): Promise<void> {
  try {
    await ctx.status.publish(changes);
  } catch (err) {
    ctx.log.warn(
      { err, changes: changes.length },
      'status change stored but not published; the caller may retry',
    );
    throw KafkaUnavailable(
      'the configured KAFKA_BROKERS (the change is stored; repeat the call to announce it)',
      {
        cause: err,
      },
    );
  }
}

/**
 * Alerts read from the detector's rows elsewhere (annotations, the entity view) carry the detector's
 * status: this puts each one's current status (a person's newest change) in its place.
 */
export async function withCurrentStatus<T extends { alert_id: string; status: string }>(
  ctx: ApiContext,
  alerts: T[],
): Promise<T[]> {
  const current = await personStatuses(
    ctx,
    alerts.map((a) => a.alert_id),
  );
  return alerts.map((a) => {
    const p = current.get(a.alert_id);
    return p ? { ...a, status: p.human_status } : a;
  });
}
