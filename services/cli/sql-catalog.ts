// Every statement leakwatch sends to ClickHouse, rendered with sample values, so the compatibility
// test can run them on the local 18.16 server and on the current engine (chDB) alike.
import type { AccessEvent } from '#shared/avro/generated/access-event.js';
import type { Alert } from '#shared/avro/generated/alert.js';
import { ledgerStatements, loadMigrations } from '#shared/clickhouse/migrate.js';
import type { BaselineRow } from '#shared/clickhouse/rows.js';
import { accessEventToRow, alertToRow } from '#shared/clickhouse/rows.js';
import { table } from '#shared/clickhouse/sql.js';
// ---- incidents ----
import {
  incidentsByIdQuery,
  membershipOfAlertsQuery,
  membersOfIncidentsQuery,
  openIncidentsOfActorsQuery,
  timelineQuery,
} from '#shared/incidents/queries.js';
// ---- end incidents ----
import {
  alertStatusHistoryQuery,
  alertsToSuppressQuery,
  getAlertQuery,
  getAllowEntryQuery,
  getSuppressionQuery,
  listAlertsQuery,
  listAllowEntriesQuery,
  listSuppressionsQuery,
  newestAlertQuery,
  pingQuery,
} from '../api/queries.js';
import {
  accessByPrincipalQuery,
  accessByResourceQuery,
  eventsByIdQuery,
} from '../api/routes/access/queries.js';
import { auditTrailQuery } from '../api/routes/audit/queries.js';
import {
  entityAlertsQuery,
  entityBaselinesQuery,
  entityLatestRunQuery,
  entityWindowsQuery,
} from '../api/routes/entities/queries.js';
import {
  type AffectedActor,
  affectedQuery,
  alertFactsQuery,
  bulkReadsQuery,
  listIncidentsQuery,
  phiInUrlQuery,
} from '../api/routes/incidents/queries.js';
import { alertSeriesQuery, annotationsQuery, topEntitiesQuery } from '../api/routes/series/queries.js';
import { accountingQuery } from '../api/routes/subjects/queries.js';
// ---- baselines (issue 17) ----
import {
  type BaselineRunRow,
  deleteStaleBaselinesQuery,
  latestBucketQuery,
  rawWindowsQuery,
  rollupRowsQuery,
  rollupWindowsQuery,
} from '../baselines/queries.js';
import { baselineRowsQuery, latestRunQuery, policyQueries } from '../detector/index.js';
// ---- end baselines ----

export interface SqlCatalog {
  migrations: { name: string; statements: string[] }[];
  /** JSONEachRow inserts, as the archiver sends them. */
  inserts: { name: string; table: string; rows: object[] }[];
  queries: { name: string; sql: string }[];
  /** Statements without a result (ALTER ... DELETE), run after the queries. */
  commands: { name: string; sql: string }[];
}

export const SAMPLE_EVENT: AccessEvent = {
  event_id: '5f0c6a1e9d8b7a6f5e4d3c2b1a098765',
  ts: 1714564800123,
  source_kind: 'web',
  source: '/var/log/nginx/access.log',
  tenant: "o'brien-pharmacy",
  user_id: null,
  session_hash: null,
  api_key_id: null,
  client_ip: '2001:db8::7',
  user_agent: 'python-requests/2.32.3',
  db_user: null,
  authenticated: false,
  emergency_access: false,
  http_method: 'GET',
  db_operation: null,
  route: '/wp-json/wc/v3/orders/{id}',
  resource_id: '1234',
  resource_kind: 'order',
  status: 200,
  bytes_out: 2345,
  rows_out: null,
  duration_ms: 12.5,
  findings: ['phi_in_url:ssn'],
  attrs: { referer_host: 'shop.example', note: "quote ' backslash \\ emoji \u{1F600}" },
};

export const SAMPLE_ALERT: Alert = {
  alert_id: '0123456789abcdef0123456789abcdef',
  fingerprint: 'fedcba9876543210fedcba9876543210',
  rule: 'sequential-enumeration',
  severity: 'high',
  entity: { type: 'ip', value: '2001:db8::7' },
  tenant: "o'brien-pharmacy",
  first_seen: 1714564800123,
  last_seen: 1714564860456,
  status: 'open',
  title: 'Sequential ID walk on /wp-json/wc/v3/orders/{id} by ip:2001:db8::7 (50 ids)',
  explanation: {
    feature: 'sequential_ids',
    observed: 50,
    baseline: null,
    score: 2.5,
    top_resources: ['/wp-json/wc/v3/orders/{id} 1000..1049'],
    sample_event_ids: ['5f0c6a1e9d8b7a6f5e4d3c2b1a098765'],
  },
  labels: { rule: 'sequential-enumeration', severity: 'high' },
};

export function sqlCatalog(db: string): SqlCatalog {
  return {
    migrations: [
      { name: 'ledger', statements: ledgerStatements(db).bootstrap.map((s) => s.text) },
      ...loadMigrations(db).map((m) => ({ name: m.name, statements: m.statements })),
      {
        name: 'ledger.record',
        statements: [
          ledgerStatements(db).record({
            version: 1,
            name: '0001_access_events',
            checksum: '0123456789abcdef',
          }).text,
        ],
      },
    ],
    inserts: [
      {
        name: 'archiver.access_events',
        table: table(db, 'access_events').text,
        rows: [accessEventToRow(SAMPLE_EVENT)],
      },
      { name: 'archiver.alerts', table: table(db, 'alerts').text, rows: [alertToRow(SAMPLE_ALERT)] },
      // ---- incidents ----
      ...incidentInserts(db),
      // ---- end incidents ----
      // ---- baselines (issue 17) ----
      ...baselineInserts(db),
      // ---- end baselines ----
    ],
    queries: [
      { name: 'migrate.applied', sql: ledgerStatements(db).applied.text },
      { name: 'api.ping', sql: pingQuery().text },
      {
        name: 'api.newestAlert',
        sql: newestAlertQuery(db, { tenant: "o'brien", rule: 'egress' }, 1714564800).text,
      },
      { name: 'api.listAlerts.all', sql: listAlertsQuery(db, { limit: 100, offset: 0 }).text },
      {
        name: 'api.listAlerts.band',
        sql: listAlertsQuery(db, {
          limit: 100,
          offset: 200,
          sinceS: 1714564800,
          tenant: "o'brien",
          severity: ['high'],
        }).text,
      },
      {
        name: 'api.listAlerts.band.status',
        sql: listAlertsQuery(db, { limit: 10, offset: 0, sinceS: 1714564800, status: ['open'] }).text,
      },
      {
        name: 'api.listAlerts.filtered',
        sql: listAlertsQuery(db, {
          from: 1714564800000,
          to: 1714651200000,
          severity: ['high', 'critical'],
          rule: 'sequential-enumeration',
          status: ['open', 'acknowledged'],
          tenant: "shop'; DROP TABLE x; --",
          entityType: 'ip',
          entityValue: '2001:db8::1',
          limit: 10,
          offset: 20,
        }).text,
      },
      { name: 'api.getAlert', sql: getAlertQuery(db, '0123456789abcdef0123456789abcdef').text },
      { name: 'api.alertStatusHistory', sql: alertStatusHistoryQuery(db, "x'y").text },
      {
        name: 'api.alertsToSuppress',
        sql: alertsToSuppressQuery(
          db,
          { tenant: "o'brien", entityType: 'client_ip', entityValue: '2001:db8::1', rule: 'egress' },
          100,
        ).text,
      },
      {
        name: 'api.listSuppressions',
        sql: listSuppressionsQuery(db, {
          state: 'active',
          now: 1714564800000,
          tenant: 't',
          limit: 5,
          offset: 0,
        }).text,
      },
      { name: 'api.getSuppression', sql: getSuppressionQuery(db, '0123456789abcdef0123456789abcdef').text },
      {
        name: 'api.listAllowEntries',
        sql: listAllowEntriesQuery(db, { state: 'all', now: 1714564800000, limit: 5, offset: 0 }).text,
      },
      { name: 'api.getAllowEntry', sql: getAllowEntryQuery(db, '0123456789abcdef0123456789abcdef').text },
      ...policyQueries(db, 1714564800000).map((q) => ({
        name: `detector.policy.${q.name}`,
        sql: q.sql.text,
      })),
      // ---- incidents ----
      ...incidentQueries(db),
      // ---- end incidents ----
      // ---- investigation reads (routes/access, subjects, entities, series) ----
      ...investigationQueries(db),
      // ---- baselines (issue 17) ----
      ...baselineQueries(db),
      // ---- end baselines ----
    ],
    // ---- baselines (issue 17) ----
    commands: [{ name: 'baselines.job.deleteStale', sql: deleteStaleBaselinesQuery(db, 1).text }],
    // ---- end baselines ----
  };
}

// ---- baselines (issue 17): the baseline job's and the detector store's statements ----
/** A detector window (10 min) and the sample run the store reads back. */
const BASELINE_WINDOW_MS = 600_000;
const BASELINE_VERSION = 1714564800000;

function baselineInserts(db: string): SqlCatalog['inserts'] {
  const row: BaselineRow = {
    hour_of_week: -1,
    tenant: SAMPLE_EVENT.tenant,
    scope: 'entity',
    peer_class: '',
    entity_type: 'client_ip',
    entity_value: '2001:db8::7',
    feature: 'bytes_out',
    median: 2345,
    mad: 0,
    p95: 2345,
    n: 12,
    window_ms: BASELINE_WINDOW_MS,
    computed_at: 1714564800,
    version: BASELINE_VERSION,
  };
  const run: BaselineRunRow = {
    version: BASELINE_VERSION,
    window_ms: BASELINE_WINDOW_MS,
    started_at: 1714564800,
    finished_at: 1714564801,
    data_from: 1712000000,
    data_to: 1714564800,
    entities: 1,
    windows: 12,
    dirty_windows: 0,
    rows: 4,
  };
  return [
    { name: 'baselines.job.baselines', table: table(db, 'baselines').text, rows: [row] },
    { name: 'baselines.job.baseline_runs', table: table(db, 'baseline_runs').text, rows: [run] },
  ];
}

function baselineQueries(db: string): SqlCatalog['queries'] {
  const W = BASELINE_WINDOW_MS;
  const win = Math.floor(SAMPLE_EVENT.ts / W) * W;
  const range = { fromMs: win - 86_400_000, toMs: win + 86_400_000, windowMs: W };
  return [
    { name: 'baselines.job.latestBucket', sql: latestBucketQuery(db, 1714651200000).text },
    { name: 'baselines.job.rollupRows', sql: rollupRowsQuery(db, range).text },
    { name: 'baselines.job.rollupWindows', sql: rollupWindowsQuery(db, range).text },
    {
      name: 'baselines.job.rollupWindows.chunk',
      sql: rollupWindowsQuery(db, range, { index: 1, count: 4 }).text,
    },
    {
      name: 'baselines.job.rawWindows',
      sql: rawWindowsQuery(db, SAMPLE_EVENT.tenant, [{ principal: 'ip:2001:db8::7', windowStart: win }], W)
        .text,
    },
    { name: 'detector.baselines.latestRun', sql: latestRunQuery(db, W).text },
    {
      name: 'detector.baselines.rows',
      sql: baselineRowsQuery(db, {
        windowMs: W,
        version: BASELINE_VERSION,
        minHistory: 3,
        hours: [-1, 0, 167],
        limit: 100,
      }).text,
    },
  ];
}
// ---- end baselines ----

// ---- incidents ----
const SAMPLE_INCIDENT_ID = '00112233445566778899aabbccddeeff';

function incidentInserts(db: string): SqlCatalog['inserts'] {
  const t = SAMPLE_ALERT.first_seen;
  return [
    {
      name: 'incidents.incidents',
      table: table(db, 'incidents').text,
      rows: [
        {
          incident_id: SAMPLE_INCIDENT_ID,
          tenant: SAMPLE_ALERT.tenant,
          title: SAMPLE_ALERT.title,
          status: 'open',
          owner: '',
          severity: 'high',
          risk_score: 15.81,
          actor_type: 'client_ip',
          actor_value: '2001:db8::7',
          actor_keys: ['client_ip:2001:db8::7'],
          rules: ['sequential-enumeration'],
          alert_count: 1,
          first_seen_ms: t,
          last_seen_ms: SAMPLE_ALERT.last_seen,
          opened_at_ms: t + 5000,
          discovered_at_ms: t + 5000,
          confirmed_at_ms: 0,
          notified_at_ms: 0,
          closed_at_ms: 0,
          version: t + 5000,
          updated_by: 'incidents',
        },
      ],
    },
    {
      name: 'incidents.incident_alerts',
      table: table(db, 'incident_alerts').text,
      rows: [
        {
          tenant: SAMPLE_ALERT.tenant,
          incident_id: SAMPLE_INCIDENT_ID,
          alert_id: SAMPLE_ALERT.alert_id,
          joined_at_ms: t + 5000,
          joined_by: 'incidents',
          rule: SAMPLE_ALERT.rule,
          severity: SAMPLE_ALERT.severity,
          score: 2.5,
          entity_type: 'client_ip',
          entity_value: '2001:db8::7',
          resource_kind: '',
          title: SAMPLE_ALERT.title,
          first_seen_ms: t,
          last_seen_ms: SAMPLE_ALERT.last_seen,
          version: t + 5000,
        },
      ],
    },
    {
      name: 'incidents.incident_events',
      table: table(db, 'incident_events').text,
      rows: [
        {
          tenant: SAMPLE_ALERT.tenant,
          incident_id: SAMPLE_INCIDENT_ID,
          at_ms: t + 5000,
          actor: 'incidents',
          action: 'open',
          status: 'open',
          note: "opened with 1 alert (it's \\ quoted)",
        },
      ],
    },
  ];
}

function incidentQueries(db: string): SqlCatalog['queries'] {
  const t = SAMPLE_ALERT.first_seen;
  // One actor of each kind, for the affected-records and bulk-reads queries.
  const actors: AffectedActor[] = [
    { kind: 'principal', principal: 'ip:2001:db8::7', fromMs: t - 21_600_000, toMs: t + 600_000 },
    { kind: 'principal', principal: "user:dr.o'brien", fromMs: t, toMs: t + 600_000, emergencyOnly: true },
    { kind: 'db_user', dbUser: 'wp_app', fromMs: t - 21_600_000, toMs: t + 600_000 },
    {
      kind: 'route',
      route: '/wp-json/wc/v3/orders/{id}',
      resourceKind: 'order',
      fromMs: t,
      toMs: t + 600_000,
    },
  ];
  return [
    { name: 'incidents.byId', sql: incidentsByIdQuery(db, [SAMPLE_INCIDENT_ID, 'ffff0000ffff0000']).text },
    {
      name: 'incidents.openOfActors',
      sql: openIncidentsOfActorsQuery(db, [SAMPLE_ALERT.tenant], ['client_ip:2001:db8::7', 'route:/x/{id}'])
        .text,
    },
    { name: 'incidents.membershipOfAlerts', sql: membershipOfAlertsQuery(db, [SAMPLE_ALERT.alert_id]).text },
    { name: 'incidents.membersOfIncidents', sql: membersOfIncidentsQuery(db, [SAMPLE_INCIDENT_ID]).text },
    { name: 'incidents.timeline', sql: timelineQuery(db, SAMPLE_INCIDENT_ID).text },
    { name: 'api.listIncidents.all', sql: listIncidentsQuery(db, { limit: 50 }).text },
    {
      name: 'api.listIncidents.filtered',
      sql: listIncidentsQuery(db, {
        status: ['open', 'investigating'],
        severity: ['high', 'critical'],
        tenant: "shop'; DROP TABLE x; --",
        entity: 'client_ip:2001:db8::7',
        from: 1714564800000,
        to: 1714651200000,
        overdueBeforeMs: 1714564800000,
        after: { lastSeenMs: 1714564860456, incidentId: SAMPLE_INCIDENT_ID },
        limit: 10,
      }).text,
    },
    { name: 'api.alertFacts', sql: alertFactsQuery(db, [SAMPLE_ALERT.alert_id]).text },
    {
      name: 'api.affected',
      sql: affectedQuery(db, SAMPLE_ALERT.tenant, actors, 200_000).text,
    },
    {
      name: 'api.bulkReads',
      sql: bulkReadsQuery(db, SAMPLE_ALERT.tenant, actors, 10_000).text,
    },
    { name: 'api.phiInUrl', sql: phiInUrlQuery(db, SAMPLE_ALERT.tenant, actors).text },
  ];
}
// ---- end incidents ----
// ---- investigation reads: sample values include the escaping cases (quote, backslash) ----
const WINDOW = { from: 1714521600000, to: 1714651200000, limit: 100, timeoutS: 10 } as const;

/** A page's keys as the access routes read them back (the escaping cases included). */
const PAGE_KEYS = [
  { principal: 'ip:2001:db8::7', tsMs: SAMPLE_EVENT.ts, eventId: SAMPLE_EVENT.event_id },
  { principal: "user:o'brien", tsMs: WINDOW.to, eventId: 'x\\y' },
  { principal: "user:o'brien", tsMs: WINDOW.from, eventId: 'z' },
];

function investigationQueries(db: string): { name: string; sql: string }[] {
  const tenant = SAMPLE_EVENT.tenant;
  const cursor = { ts: 1714564800123, id: "5f0c'6a\\1e" };
  return [
    {
      name: 'api.access.byPrincipal',
      sql: accessByPrincipalQuery(db, { key: 'ip:2001:db8::7' }, { tenant, ...WINDOW }).text,
    },
    {
      name: 'api.access.byPrincipal.dbUser.cursor',
      sql: accessByPrincipalQuery(db, { dbUser: "wp'user" }, { tenant, ...WINDOW, cursor }).text,
    },
    {
      name: 'api.access.byResource',
      sql: accessByResourceQuery(db, { kind: 'order', id: '1234' }, { tenant, ...WINDOW }).text,
    },
    {
      name: 'api.access.byResource.anyKind.cursor',
      sql: accessByResourceQuery(db, { id: 'tok_mrn_0123456789abcdef' }, { tenant, ...WINDOW, cursor }).text,
    },
    {
      name: 'api.access.eventsById',
      sql: eventsByIdQuery(db, {
        tenant,
        rows: PAGE_KEYS,
        by: 'spans',
        timeoutS: 10,
      }).text,
    },
    {
      name: 'api.access.eventsById.pairs',
      sql: eventsByIdQuery(db, {
        tenant,
        rows: PAGE_KEYS,
        by: 'pairs',
        timeoutS: 10,
      }).text,
    },
    {
      name: 'api.subjects.accounting',
      sql: accountingQuery(db, {
        tenant,
        token: '1234',
        kinds: ['order', 'patient', 'customer'],
        from: WINDOW.from,
        to: WINDOW.to,
        limit: 1000,
        timeoutS: 10,
      }).text,
    },
    {
      name: 'api.audit.trail',
      sql: auditTrailQuery(db, {
        from: WINDOW.from,
        to: WINDOW.to,
        tokenName: "o'brien",
        route: '/api/v1/access',
        contains: 'tok_mrn_\\x',
        cursor: { ts: WINDOW.to, id: "5c656909-a7da-47f0-b898-6a904ceb95bb'" },
        limit: 101,
        timeoutS: 10,
      }).text,
    },
    { name: 'api.entities.latestRun', sql: entityLatestRunQuery(db, 600000, 10).text },
    {
      name: 'api.entities.baselines',
      sql: entityBaselinesQuery(db, {
        tenant,
        entityType: 'client_ip',
        entityValue: '2001:db8::7',
        peerClasses: ['order', "o'dd"],
        windowMs: 600000,
        version: 1,
        minHistory: 12,
        timeoutS: 10,
      }).text,
    },
    {
      name: 'api.entities.baselines.noPeers',
      sql: entityBaselinesQuery(db, {
        tenant,
        entityType: 'db_user',
        entityValue: 'wp',
        peerClasses: [],
        windowMs: 600000,
        version: 0,
        minHistory: 1,
        timeoutS: 10,
      }).text,
    },
    {
      name: 'api.entities.windows',
      sql: entityWindowsQuery(db, {
        tenant,
        principal: 'ip:2001:db8::7',
        fromMs: WINDOW.from,
        toMs: WINDOW.to,
        timeoutS: 10,
      }).text,
    },
    {
      name: 'api.entities.alerts',
      sql: entityAlertsQuery(db, {
        tenant,
        entityType: 'ip',
        entityValue: '2001:db8::7',
        limit: 50,
        timeoutS: 10,
      }).text,
    },
    {
      name: 'api.series.alerts',
      sql: alertSeriesQuery(db, { from: WINDOW.from, to: WINDOW.to, intervalS: 300, timeoutS: 10 }).text,
    },
    {
      name: 'api.series.alerts.filtered',
      sql: alertSeriesQuery(db, {
        from: WINDOW.from,
        to: WINDOW.to,
        intervalS: 3600,
        tenant,
        rule: ['sequential-enumeration', 'egress'],
        severity: ['high'],
        timeoutS: 10,
      }).text,
    },
    {
      name: 'api.series.topEntities',
      sql: topEntitiesQuery(db, {
        from: WINDOW.from,
        to: WINDOW.to,
        by: 'bytes_out',
        limit: 10,
        timeoutS: 10,
      }).text,
    },
    {
      name: 'api.series.topEntities.tenant',
      sql: topEntitiesQuery(db, {
        from: WINDOW.from,
        to: WINDOW.to,
        tenant,
        by: 'rows_out',
        limit: 5,
        timeoutS: 10,
      }).text,
    },
    {
      name: 'api.annotations',
      sql: annotationsQuery(db, {
        from: WINDOW.from,
        to: WINDOW.to,
        tenant,
        severity: ['high'],
        limit: 500,
        timeoutS: 10,
      }).text,
    },
  ];
}
// ---- end investigation reads ----
