// The one typed configuration: defaults < optional YAML file (LEAKWATCH_CONFIG) < environment.
// Nothing else in leakwatch reads process.env. Every problem is reported at once, at start.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { type Static, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { envList, SENSITIVE_KIND_PATTERN } from './env.js';
import { ConfigInvalid } from './errors.js';
import { NORMALIZE_DEFAULTS } from './normalize-defaults.js';

const Port = Type.Integer({ minimum: 0, maximum: 65535 });
const Identifier = Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]{0,63}$' });
const TopicName = Type.String({ pattern: '^[A-Za-z0-9._-]{1,200}$' });
const Role = Type.Union([Type.Literal('viewer'), Type.Literal('responder'), Type.Literal('admin')]);

const Names = Type.Array(Type.String({ minLength: 1, maxLength: 200 }));

/** collector.normalize (services/collector/normalize/options.ts compiles it once). */
const NormalizeSchema = Type.Object(
  {
    /** Session cookie names, hashed into session_hash; a trailing `*` matches a prefix (`wordpress_logged_in_*`). */
    sessionCookies: Names,
    /** Request headers (lowercase) carrying a session token, hashed into session_hash. */
    sessionHeaders: Names,
    /** Query parameters carrying an API key (never kept: key ids as is, secrets as a keyed hash). */
    apiKeyQueryParams: Names,
    /** Request headers (lowercase) carrying an API key or token; always hashed. */
    apiKeyHeaders: Names,
    /** CIDRs of our own proxies / load balancers: X-Forwarded-For is walked right to left past them. */
    trustedProxies: Type.Array(Type.String({ pattern: '^[0-9A-Fa-f:.]+(/\\d{1,3})?$' })),
    /** Break-glass signals: truthy header (1/true/yes/on), query parameter, route prefix, or user. */
    emergencySignals: Type.Object(
      { headers: Names, queryParams: Names, routePrefixes: Names, users: Names },
      { additionalProperties: false },
    ),
    /** Signals that the request was authenticated, besides a user, session or API key. */
    authenticatedSignals: Type.Object(
      {
        /** Cookie names (`*` suffix = prefix) present only for logged-in users. */
        cookies: Names,
        /** Request headers (lowercase) present only on authenticated requests. */
        headers: Names,
        /** Statuses that mean the credentials were refused: then authenticated is false. */
        unauthorizedStatuses: Type.Array(Type.Integer({ minimum: 100, maximum: 599 })),
      },
      { additionalProperties: false },
    ),
    /** Extra database table → resource_kind entries (added to the built-in table; lowercase names). */
    tableKinds: Type.Record(
      Type.String({ minLength: 1 }),
      Type.String({ pattern: '^[a-z][a-z0-9_]{0,63}$' }),
    ),
    phi: Type.Object(
      {
        /** Free-text MRN regular expression, case-insensitive; capture group 1 is the number. */
        mrnPattern: Type.String({ minLength: 1, maxLength: 500 }),
        /** More parameter / column names per named PHI kind, added to the built-in lists. */
        extraParams: Type.Object(
          { dob: Names, mrn: Names, icd10: Names, phone: Names, name: Names },
          { additionalProperties: false },
        ),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

export const ConfigSchema = Type.Object(
  {
    tenant: Type.String({ minLength: 1, maxLength: 200 }),
    // ---- detection kinds (issue 15) ----
    /** What the detections treat as sensitive, besides services/shared/sensitive-kinds.ts. */
    detection: Type.Object(
      {
        /** More resource kinds that are records of people (`booking`, `lab_result`...): lowercase names. */
        sensitiveKinds: Type.Array(Type.String({ pattern: SENSITIVE_KIND_PATTERN })),
      },
      { additionalProperties: false },
    ),
    // ---- end detection kinds ----
    log: Type.Object(
      {
        level: Type.Union(
          ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
        ),
      },
      { additionalProperties: false },
    ),
    ops: Type.Object(
      {
        /** Address of the /metrics, /healthz, /readyz server of collector, detector, archiver. */
        host: Type.String({ minLength: 1 }),
      },
      { additionalProperties: false },
    ),
    kafka: Type.Object(
      {
        brokers: Type.Array(Type.String({ pattern: '^[^\\s:]+:\\d+$' }), { minItems: 1 }),
        clientId: Type.String({ minLength: 1 }),
        /** How producers compress batches: lz4 costs a fraction of gzip's CPU for 3.8x instead of 5.5x (measured on access events). */
        compression: Type.Union([Type.Literal('lz4'), Type.Literal('gzip'), Type.Literal('none')]),
      },
      { additionalProperties: false },
    ),
    topics: Type.Object(
      {
        access: TopicName,
        /** Repartition topic the detector writes: id-route events keyed by tenant + route (DESIGN.md "Scale"). */
        accessByRoute: TopicName,
        alerts: TopicName,
        /** Status changes of alerts, suppressions and incidents (StatusChange), for the notifier. */
        status: TopicName,
        deadletter: TopicName,
        partitions: Type.Integer({ minimum: 1, maximum: 1000 }),
      },
      { additionalProperties: false },
    ),
    clickhouse: Type.Object(
      {
        url: Type.String({ pattern: '^https?://' }),
        database: Identifier,
        user: Type.String(),
        password: Type.String(),
      },
      { additionalProperties: false },
    ),
    collector: Type.Object(
      {
        files: Type.Array(Type.String({ minLength: 1 })),
        /** A format id of services/collector/formats/registry.ts, or auto; checked when the collector starts. */
        format: Type.String({ minLength: 1 }),
        /** nginx log_format / Apache LogFormat string for the nginx and apache formats. */
        logFormat: Type.Optional(Type.String({ minLength: 1 })),
        follow: Type.Boolean(),
        fromStart: Type.Boolean(),
        /** Where read positions are checkpointed (after Kafka acknowledged them); none: re-read on restart. */
        checkpointFile: Type.Optional(Type.String({ minLength: 1 })),
        /** HMAC key for PHI tokens; required unless dev is true. */
        redactionKey: Type.Optional(Type.String({ minLength: 16 })),
        dev: Type.Boolean(),
        batchSize: Type.Integer({ minimum: 1, maximum: 100000 }),
        /**
         * Consecutive events of one principal (on one partition) packed into one Kafka record at
         * most (schemas/avro/access-event-batch.avsc); 1: one event per record, for consumers of
         * the access topic that read plain AccessEvent messages only.
         */
        eventsPerRecord: Type.Integer({ minimum: 1, maximum: 1000 }),
        /** Longest line read from files and stdin; a longer one is rejected (line_too_long) and reading goes on. */
        maxLineBytes: Type.Integer({ minimum: 256, maximum: 256 * 1024 * 1024 }),
        httpPort: Port,
        /** Syslog listener (RFC 5424 / 3164): on when a port is set (0 = any free port). */
        syslog: Type.Object(
          {
            host: Type.String({ minLength: 1 }),
            udpPort: Type.Optional(Port),
            tcpPort: Type.Optional(Port),
            maxMessageBytes: Type.Integer({ minimum: 256, maximum: 16 * 1024 * 1024 }),
            /** Format of the lines it carries, when not collector.format (with its own logFormat). */
            format: Type.Optional(Type.String({ minLength: 1 })),
            logFormat: Type.Optional(Type.String({ minLength: 1 })),
          },
          { additionalProperties: false },
        ),
        /** HTTP NDJSON ingest for forwarders (POST /ingest, bearer token): on when port is set. */
        ingest: Type.Object(
          {
            host: Type.String({ minLength: 1 }),
            port: Type.Optional(Port),
            /** Accepted bearer tokens; the name (optional) names the forwarder in the source, `http:<name>`. */
            tokens: Type.Array(
              Type.Object(
                {
                  name: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9._-]{1,64}$' })),
                  token: Type.String({ minLength: 16 }),
                },
                { additionalProperties: false },
              ),
            ),
            /** Request body limit, after decompression. */
            maxBodyBytes: Type.Integer({ minimum: 1024, maximum: 256 * 1024 * 1024 }),
            format: Type.Optional(Type.String({ minLength: 1 })),
            logFormat: Type.Optional(Type.String({ minLength: 1 })),
          },
          { additionalProperties: false },
        ),
        /** How records become AccessEvents: principal signals, DB table kinds, PHI detector lists. */
        normalize: NormalizeSchema,
      },
      { additionalProperties: false },
    ),
    detector: Type.Object(
      {
        groupId: Type.String({ minLength: 1 }),
        windowMs: Type.Integer({ minimum: 1000 }),
        /** Rules file (thresholds, allow-lists, severities); the built-in defaults when absent. */
        rulesFile: Type.Optional(Type.String({ minLength: 1 })),
        /** Where baselines come from: ClickHouse `baselines` (the baseline job), falling back to learning from the stream; or the stream only. */
        baselineStore: Type.Union([Type.Literal('memory'), Type.Literal('clickhouse')]),
        /** A newly assigned partition's state is rebuilt by re-reading at most this much of it (produce time)... */
        rebuildHorizonMs: Type.Integer({ minimum: 0 }),
        /** ...and at most this many messages of it. */
        rebuildMaxEvents: Type.Integer({ minimum: 0 }),
        /** Consumer group session timeout: how long a dead instance keeps its partitions. */
        sessionTimeoutMs: Type.Integer({ minimum: 6000, maximum: 300_000 }),
        /** A fetch waits for this many bytes (or fetchMaxWaitMs): fewer, larger batches, fewer commits and produce round trips. */
        fetchMinBytes: Type.Integer({ minimum: 1, maximum: 64 * 1024 * 1024 }),
        fetchMaxWaitMs: Type.Integer({ minimum: 0, maximum: 5000 }),
        /** How often suppressions and allow entries (feedback) are re-read from ClickHouse; 0: never read. */
        policyRefreshMs: Type.Integer({ minimum: 0, maximum: 600_000 }),
        /** By-route alignment (partitions.ts ForwardAligner): a caught-up access partition with nothing new for this long stops holding the others' forwards. */
        alignIdleMs: Type.Integer({ minimum: 0, maximum: 600_000 }),
        /** By-route alignment: forwards held at most; beyond it the oldest go out whatever the event time. */
        alignMaxHeld: Type.Integer({ minimum: 1 }),
        httpPort: Port,
      },
      { additionalProperties: false },
    ),
    archiver: Type.Object(
      {
        groupId: Type.String({ minLength: 1 }),
        httpPort: Port,
      },
      { additionalProperties: false },
    ),
    /** The baseline job (services/baselines) and the detector's ClickHouse baseline store. */
    baselines: Type.Object(
      {
        /** How often `leakwatch baselines --schedule` runs the baseline job; 0: never (run `leakwatch baselines` once instead). */
        intervalMs: Type.Integer({ minimum: 0 }),
        /** Days of 5-minute rollups the job reads, ending at the latest rolled-up event time. */
        lookbackDays: Type.Integer({ minimum: 1, maximum: 366 }),
        /** Windows a statistic needs before it is written (job) and used (store). */
        minHistory: Type.Integer({ minimum: 1, maximum: 100_000 }),
        /** Windows sampled per peer group and per tenant (reservoir): bounds the job's memory. */
        groupSample: Type.Integer({ minimum: 100, maximum: 10_000_000 }),
        /** How often the detector checks for a newer baseline run and reloads. */
        reloadMs: Type.Integer({ minimum: 1000 }),
        /** Baselines (entity, peer group or tenant, per hour) the detector keeps in memory at most. */
        maxCachedEntries: Type.Integer({ minimum: 1000 }),
        /** Hours of the week whose seasonal entity baselines the detector keeps loaded (by event time). */
        cachedHours: Type.Integer({ minimum: 1, maximum: 168 }),
        /** Ops port (/metrics, /healthz, /readyz) of the scheduled job's process. */
        httpPort: Port,
      },
      { additionalProperties: false },
    ),
    // ---- notifier (issue 14) ----
    /** Paging: services/notifier. Routing and receivers from the YAML file; shorthands for one receiver each. */
    notifier: Type.Object(
      {
        groupId: Type.String({ minLength: 1 }),
        httpPort: Port,
        /** Routing file (receivers, routes, defaults); see README "Paging". */
        configFile: Type.Optional(Type.String({ minLength: 1 })),
        /** Shorthand: an Alertmanager receiving every routed alert (catch-all route, continue). */
        alertmanagerUrl: Type.Optional(Type.String({ pattern: '^https?://' })),
        /** Shorthand: a signed webhook receiving every alert... */
        webhookUrl: Type.Optional(Type.String({ pattern: '^https?://' })),
        /** ...signed with this shared secret (HMAC-SHA256); required with webhookUrl. */
        webhookSecret: Type.Optional(Type.String({ minLength: 16 })),
        /** Where pages link to (the API's /api/v1/alerts/{id}). */
        apiBaseUrl: Type.String({ pattern: '^https?://' }),
        /** Defaults for routes that do not set their own (ms). */
        groupWaitMs: Type.Integer({ minimum: 0, maximum: 3_600_000 }),
        repeatIntervalMs: Type.Integer({ minimum: 60_000 }),
        /** Delivery attempts per page before it is written to the dead-letter topic. */
        maxAttempts: Type.Integer({ minimum: 1, maximum: 1000 }),
        retryInitialMs: Type.Integer({ minimum: 1 }),
        retryMaxMs: Type.Integer({ minimum: 1 }),
        /** Per receiver: pages per minute and burst (token bucket); pages wait, never dropped. */
        ratePerMinute: Type.Integer({ minimum: 1, maximum: 100_000 }),
        rateBurst: Type.Integer({ minimum: 1, maximum: 100_000 }),
        /** Per-request timeout to a receiver. */
        timeoutMs: Type.Integer({ minimum: 100, maximum: 120_000 }),
      },
      { additionalProperties: false },
    ),
    // ---- end notifier ----
    /** What responders may do to alerts (services/api/routes/alerts). */
    respond: Type.Object(
      {
        /** Longest suppression, days. */
        suppressMaxDays: Type.Integer({ minimum: 1, maximum: 3650 }),
        /** How long an allow entry from feedback "legitimate" lasts unless the call says, days. */
        allowDefaultDays: Type.Integer({ minimum: 1, maximum: 3650 }),
        /** Longest allow entry, days. */
        allowMaxDays: Type.Integer({ minimum: 1, maximum: 3650 }),
      },
      { additionalProperties: false },
    ),
    // ---- incidents (issue 12: the incident grouper and the incident routes) ----
    incidents: Type.Object(
      {
        /** Consumer group of the incident grouper (one instance: grouping is serial). */
        groupId: Type.String({ minLength: 1 }),
        httpPort: Port,
        /** An alert joins its actor's open incident when that incident's last_seen is at most this long before the alert's first_seen. */
        groupingGapMs: Type.Integer({ minimum: 0 }),
        /** One notification deadline per jurisdiction, counted from discovered_at. */
        deadlines: Type.Array(
          Type.Object(
            {
              name: Type.String({ pattern: '^[A-Za-z0-9._-]{1,64}$' }),
              hours: Type.Number({ exclusiveMinimum: 0, maximum: 100_000 }),
            },
            { additionalProperties: false },
          ),
          { minItems: 1 },
        ),
        /** Affected records: how far before a principal actor's first alert its accesses are counted (the id rules keep ids 6 h). */
        affectedLookbackMs: Type.Integer({ minimum: 0 }),
        /** ...and how far after its last alert (a window). */
        affectedWindowMs: Type.Integer({ minimum: 0 }),
        /** resource_kind values that name a person: their distinct ids are the data subjects. */
        subjectKinds: Type.Array(Type.String({ pattern: '^[a-z][a-z0-9_]{0,63}$' })),
        /** Markdown notice template with {{name}} placeholders; the built-in one when absent. */
        noticeTemplateFile: Type.Optional(Type.String({ minLength: 1 })),
      },
      { additionalProperties: false },
    ),
    // ---- end incidents ----
    api: Type.Object(
      {
        host: Type.String(),
        port: Port,
        /** Bearer tokens by the SHA-256 of the token (hex): never the token itself. */
        tokens: Type.Array(
          Type.Object(
            {
              name: Type.String({ pattern: '^[A-Za-z0-9_.@-]{1,64}$' }),
              role: Role,
              sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
            },
            { additionalProperties: false },
          ),
        ),
        /** Allow unauthenticated reads (local demo only). */
        openAccess: Type.Boolean(),
        // ---- API security (issue 13) ----
        /** Requests per minute per token (per client IP without one); over it: 429 LW_ERR_API_RATE_LIMITED. */
        rateLimitPerMinute: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
        /** Largest request body; over it: 413 LW_ERR_API_BODY_TOO_LARGE. */
        bodyLimitBytes: Type.Integer({ minimum: 1024, maximum: 16 * 1024 * 1024 }),
        /** Longest query string (after `?`); over it: 414 LW_ERR_API_QUERY_TOO_LONG. */
        maxQueryStringBytes: Type.Integer({ minimum: 256, maximum: 65536 }),
        /** Socket idle timeout (fastify connectionTimeout). */
        connectionTimeoutMs: Type.Integer({ minimum: 1000, maximum: 3_600_000 }),
        /** Time a client has to send a whole request (fastify requestTimeout; slow clients get 408). */
        requestTimeoutMs: Type.Integer({ minimum: 1000, maximum: 3_600_000 }),
        /** max_execution_time of every ClickHouse query the API sends; over it: 503 LW_ERR_CLICKHOUSE_UNAVAILABLE. */
        queryTimeoutS: Type.Integer({ minimum: 1, maximum: 3600 }),
        /**
         * How long one alert-list answer serves identical list requests (dashboards polling the same
         * page); a status change made through this API clears it at once. 0: every request reads.
         */
        alertListCacheMs: Type.Integer({ minimum: 0, maximum: 60_000 }),
        /**
         * Shortest time between the starts of two api_audit inserts; rows of answers meanwhile share
         * the next one (each answer still waits for its row). 0: as soon as the previous one ends.
         */
        auditBatchMs: Type.Integer({ minimum: 0, maximum: 5000 }),
        /** Origins allowed to call the API from a browser; empty: no CORS headers at all. */
        corsOrigins: Type.Array(Type.String({ pattern: '^https?://[^/\\s]+$' })),
        // ---- investigation reads (access history, accounting, entities, series) ----
        /** Longest from..to range of access history, accounting and top-entity reads, in days. */
        accessMaxRangeDays: Type.Integer({ minimum: 1, maximum: 3660 }),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

export type Config = Static<typeof ConfigSchema>;

export const DEFAULTS: Config = {
  tenant: 'default',
  detection: { sensitiveKinds: [] }, // issue 15
  log: { level: 'info' },
  ops: { host: '127.0.0.1' },
  kafka: { brokers: ['127.0.0.1:19092'], clientId: 'leakwatch', compression: 'lz4' },
  topics: {
    access: 'leakwatch.access.v1',
    accessByRoute: 'leakwatch.access-by-route.v1',
    alerts: 'leakwatch.alerts.v1',
    status: 'leakwatch.status.v1',
    deadletter: 'leakwatch.deadletter.v1',
    partitions: 6,
  },
  clickhouse: { url: 'http://127.0.0.1:18123', database: 'leakwatch', user: 'default', password: '' },
  collector: {
    files: [],
    format: 'nginx',
    follow: true,
    fromStart: true,
    dev: false,
    batchSize: 500,
    eventsPerRecord: 64,
    maxLineBytes: 64 * 1024,
    httpPort: 9101,
    syslog: { host: '127.0.0.1', maxMessageBytes: 64 * 1024 },
    ingest: { host: '127.0.0.1', tokens: [], maxBodyBytes: 5 * 1024 * 1024 },
    normalize: NORMALIZE_DEFAULTS,
  },
  detector: {
    groupId: 'leakwatch-detector',
    windowMs: 10 * 60 * 1000,
    // Safe on an empty table: until the job has written baselines, the store learns from the stream.
    baselineStore: 'clickhouse',
    // The engine's id horizon (6 h) plus a window: slow walks survive a rebalance.
    rebuildHorizonMs: 6 * 3_600_000 + 10 * 60 * 1000,
    rebuildMaxEvents: 2_000_000,
    sessionTimeoutMs: 30_000,
    // Adds at most 100 ms to event-to-alert latency; halves the detector's CPU per event when it keeps up (bench).
    fetchMinBytes: 1024 * 1024,
    fetchMaxWaitMs: 100,
    // A person's "legitimate" or suppression reaches the detector within this, without a restart.
    policyRefreshMs: 15_000,
    // Forwards wait at most this long for an access partition that has nothing new (Kafka Streams' max.task.idle.ms).
    alignIdleMs: 2000,
    alignMaxHeld: 500_000,
    httpPort: 9102,
  },
  archiver: { groupId: 'leakwatch-archiver', httpPort: 9103 },
  baselines: {
    intervalMs: 3_600_000,
    // Four weeks: four samples of each hour of the week.
    lookbackDays: 28,
    minHistory: 12,
    groupSample: 50_000,
    reloadMs: 300_000,
    maxCachedEntries: 200_000,
    cachedHours: 6,
    httpPort: 9106,
  },
  // ---- incidents ----
  incidents: {
    groupId: 'leakwatch-incidents',
    httpPort: 9104,
    groupingGapMs: 24 * 3_600_000,
    // The target we build for (state privacy laws and operators work to 72 hours); add HIPAA's 60 days etc.
    deadlines: [{ name: '72h', hours: 72 }],
    affectedLookbackMs: 6 * 3_600_000,
    affectedWindowMs: 10 * 60 * 1000,
    subjectKinds: ['patient', 'customer', 'user', 'member'],
  },
  // ---- end incidents ----
  // ---- notifier (issue 14) ----
  notifier: {
    groupId: 'leakwatch-notifier',
    httpPort: 9105,
    apiBaseUrl: 'http://127.0.0.1:8080',
    // Long enough for the incident grouper's join to arrive, so the first page already names the incident.
    groupWaitMs: 10_000,
    repeatIntervalMs: 4 * 3_600_000,
    maxAttempts: 10,
    retryInitialMs: 1000,
    retryMaxMs: 30_000,
    ratePerMinute: 30,
    rateBurst: 10,
    timeoutMs: 10_000,
  },
  // ---- end notifier ----
  respond: { suppressMaxDays: 90, allowDefaultDays: 30, allowMaxDays: 365 },
  api: {
    host: '127.0.0.1',
    port: 8080,
    tokens: [],
    openAccess: false,
    // ---- API security (issue 13) ----
    rateLimitPerMinute: 600,
    bodyLimitBytes: 64 * 1024,
    maxQueryStringBytes: 4096,
    connectionTimeoutMs: 60_000,
    requestTimeoutMs: 30_000,
    queryTimeoutS: 10,
    alertListCacheMs: 1000,
    auditBatchMs: 0,
    corsOrigins: [],
    accessMaxRangeDays: 31,
  },
};

type Parser = (raw: string) => unknown;
const str: Parser = (s) => s;
const int: Parser = (s) => (/^-?\d+$/.test(s.trim()) ? Number(s) : s);
const bool: Parser = (s) => {
  const v = s.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off', ''].includes(v)) return false;
  return s;
};
const list: Parser = envList;
/** `name:token,token2`: the name (before the first `:`) is optional; a token holding `:` needs one. */
const ingestTokens: Parser = (s) =>
  (list(s) as string[]).map((pair) => {
    const i = pair.indexOf(':');
    return i < 0 ? { token: pair } : { name: pair.slice(0, i), token: pair.slice(i + 1) };
  });
/**
 * API_TOKENS: `name:role:<sha256 hex of the token>,…`. Tokens are never configured in plaintext;
 * `leakwatch token create --name N --role R` makes one and prints its line. The old `token:role`
 * form is refused with the way to convert it.
 */
const tokens: Parser = (s) =>
  (list(s) as string[]).map((entry) => {
    const parts = entry.split(':');
    if (parts.length === 3 && /^[0-9a-f]{64}$/.test(parts[2]!)) {
      return { name: parts[0], role: parts[1], sha256: parts[2] };
    }
    if (parts.length === 2) {
      throw new Error(
        `an entry has the old "token:role" form, which kept the token in plaintext; use "name:role:<sha256 hex of the token>" (printf %s TOKEN | sha256sum), or make a new token with \`leakwatch token create --name NAME --role ${parts[1]}\``,
      );
    }
    throw new Error(
      'each entry must be "name:role:<sha256 hex of the token>" (64 lowercase hex digits); `leakwatch token create` prints one',
    );
  });

// ---- incidents ----
/** INCIDENTS_DEADLINES: `name:hours,…`, e.g. `72h-state:72,hipaa:1440`. */
const deadlines: Parser = (s) =>
  (list(s) as string[]).map((entry) => {
    const i = entry.lastIndexOf(':');
    const hours = Number(entry.slice(i + 1));
    if (i <= 0 || !Number.isFinite(hours)) throw new Error(`each entry must be "name:hours", got "${entry}"`);
    return { name: entry.slice(0, i), hours };
  });
// ---- end incidents ----

/** Environment variable -> config path. Shared names as DESIGN.md fixes them; the rest prefixed by service. */
export const ENV: Record<string, [path: string, parse: Parser]> = {
  LEAKWATCH_TENANT: ['tenant', str],
  LEAKWATCH_SENSITIVE_KINDS: ['detection.sensitiveKinds', list], // issue 15
  LOG_LEVEL: ['log.level', str],
  LEAKWATCH_OPS_HOST: ['ops.host', str],
  KAFKA_BROKERS: ['kafka.brokers', list],
  KAFKA_CLIENT_ID: ['kafka.clientId', str],
  KAFKA_COMPRESSION: ['kafka.compression', str],
  LEAKWATCH_TOPIC_ACCESS: ['topics.access', str],
  LEAKWATCH_TOPIC_ACCESS_BY_ROUTE: ['topics.accessByRoute', str],
  LEAKWATCH_TOPIC_ALERTS: ['topics.alerts', str],
  LEAKWATCH_TOPIC_STATUS: ['topics.status', str],
  LEAKWATCH_TOPIC_DEADLETTER: ['topics.deadletter', str],
  LEAKWATCH_TOPIC_PARTITIONS: ['topics.partitions', int],
  CLICKHOUSE_URL: ['clickhouse.url', str],
  CLICKHOUSE_DATABASE: ['clickhouse.database', str],
  CLICKHOUSE_USER: ['clickhouse.user', str],
  CLICKHOUSE_PASSWORD: ['clickhouse.password', str],
  COLLECTOR_FILES: ['collector.files', list],
  COLLECTOR_FORMAT: ['collector.format', str],
  COLLECTOR_LOG_FORMAT: ['collector.logFormat', str],
  COLLECTOR_FOLLOW: ['collector.follow', bool],
  COLLECTOR_FROM_START: ['collector.fromStart', bool],
  COLLECTOR_CHECKPOINT_FILE: ['collector.checkpointFile', str],
  COLLECTOR_REDACTION_KEY: ['collector.redactionKey', str],
  COLLECTOR_DEV: ['collector.dev', bool],
  COLLECTOR_BATCH_SIZE: ['collector.batchSize', int],
  COLLECTOR_EVENTS_PER_RECORD: ['collector.eventsPerRecord', int],
  COLLECTOR_MAX_LINE_BYTES: ['collector.maxLineBytes', int],
  COLLECTOR_HTTP_PORT: ['collector.httpPort', int],
  COLLECTOR_SYSLOG_HOST: ['collector.syslog.host', str],
  COLLECTOR_SYSLOG_UDP_PORT: ['collector.syslog.udpPort', int],
  COLLECTOR_SYSLOG_TCP_PORT: ['collector.syslog.tcpPort', int],
  COLLECTOR_SYSLOG_MAX_MESSAGE_BYTES: ['collector.syslog.maxMessageBytes', int],
  COLLECTOR_SYSLOG_FORMAT: ['collector.syslog.format', str],
  COLLECTOR_SYSLOG_LOG_FORMAT: ['collector.syslog.logFormat', str],
  COLLECTOR_INGEST_HOST: ['collector.ingest.host', str],
  COLLECTOR_INGEST_PORT: ['collector.ingest.port', int],
  COLLECTOR_INGEST_TOKENS: ['collector.ingest.tokens', ingestTokens],
  COLLECTOR_INGEST_MAX_BODY_BYTES: ['collector.ingest.maxBodyBytes', int],
  COLLECTOR_INGEST_FORMAT: ['collector.ingest.format', str],
  COLLECTOR_INGEST_LOG_FORMAT: ['collector.ingest.logFormat', str],
  DETECTOR_GROUP_ID: ['detector.groupId', str],
  DETECTOR_WINDOW_MS: ['detector.windowMs', int],
  DETECTOR_RULES_FILE: ['detector.rulesFile', str],
  DETECTOR_BASELINE_STORE: ['detector.baselineStore', str],
  DETECTOR_REBUILD_HORIZON_MS: ['detector.rebuildHorizonMs', int],
  DETECTOR_REBUILD_MAX_EVENTS: ['detector.rebuildMaxEvents', int],
  DETECTOR_SESSION_TIMEOUT_MS: ['detector.sessionTimeoutMs', int],
  DETECTOR_FETCH_MIN_BYTES: ['detector.fetchMinBytes', int],
  DETECTOR_FETCH_MAX_WAIT_MS: ['detector.fetchMaxWaitMs', int],
  DETECTOR_POLICY_REFRESH_MS: ['detector.policyRefreshMs', int],
  DETECTOR_ALIGN_IDLE_MS: ['detector.alignIdleMs', int],
  DETECTOR_ALIGN_MAX_HELD: ['detector.alignMaxHeld', int],
  DETECTOR_HTTP_PORT: ['detector.httpPort', int],
  ARCHIVER_GROUP_ID: ['archiver.groupId', str],
  ARCHIVER_HTTP_PORT: ['archiver.httpPort', int],
  BASELINES_INTERVAL_MS: ['baselines.intervalMs', int],
  BASELINES_LOOKBACK_DAYS: ['baselines.lookbackDays', int],
  BASELINES_MIN_HISTORY: ['baselines.minHistory', int],
  BASELINES_GROUP_SAMPLE: ['baselines.groupSample', int],
  BASELINES_RELOAD_MS: ['baselines.reloadMs', int],
  BASELINES_MAX_CACHED_ENTRIES: ['baselines.maxCachedEntries', int],
  BASELINES_CACHED_HOURS: ['baselines.cachedHours', int],
  BASELINES_HTTP_PORT: ['baselines.httpPort', int],
  // ---- notifier (issue 14) ----
  NOTIFIER_GROUP_ID: ['notifier.groupId', str],
  NOTIFIER_HTTP_PORT: ['notifier.httpPort', int],
  NOTIFIER_CONFIG_FILE: ['notifier.configFile', str],
  NOTIFIER_ALERTMANAGER_URL: ['notifier.alertmanagerUrl', str],
  NOTIFIER_WEBHOOK_URL: ['notifier.webhookUrl', str],
  NOTIFIER_WEBHOOK_SECRET: ['notifier.webhookSecret', str],
  NOTIFIER_API_BASE_URL: ['notifier.apiBaseUrl', str],
  NOTIFIER_GROUP_WAIT_MS: ['notifier.groupWaitMs', int],
  NOTIFIER_REPEAT_INTERVAL_MS: ['notifier.repeatIntervalMs', int],
  NOTIFIER_MAX_ATTEMPTS: ['notifier.maxAttempts', int],
  NOTIFIER_RETRY_INITIAL_MS: ['notifier.retryInitialMs', int],
  NOTIFIER_RETRY_MAX_MS: ['notifier.retryMaxMs', int],
  NOTIFIER_RATE_PER_MINUTE: ['notifier.ratePerMinute', int],
  NOTIFIER_RATE_BURST: ['notifier.rateBurst', int],
  NOTIFIER_TIMEOUT_MS: ['notifier.timeoutMs', int],
  // ---- end notifier ----
  RESPOND_SUPPRESS_MAX_DAYS: ['respond.suppressMaxDays', int],
  RESPOND_ALLOW_DEFAULT_DAYS: ['respond.allowDefaultDays', int],
  RESPOND_ALLOW_MAX_DAYS: ['respond.allowMaxDays', int],
  // ---- incidents ----
  INCIDENTS_GROUP_ID: ['incidents.groupId', str],
  INCIDENTS_HTTP_PORT: ['incidents.httpPort', int],
  INCIDENTS_GROUPING_GAP_MS: ['incidents.groupingGapMs', int],
  INCIDENTS_DEADLINES: ['incidents.deadlines', deadlines],
  INCIDENTS_AFFECTED_LOOKBACK_MS: ['incidents.affectedLookbackMs', int],
  INCIDENTS_AFFECTED_WINDOW_MS: ['incidents.affectedWindowMs', int],
  INCIDENTS_SUBJECT_KINDS: ['incidents.subjectKinds', list],
  INCIDENTS_NOTICE_TEMPLATE_FILE: ['incidents.noticeTemplateFile', str],
  // ---- end incidents ----
  API_HOST: ['api.host', str],
  API_PORT: ['api.port', int],
  API_TOKENS: ['api.tokens', tokens],
  API_OPEN_ACCESS: ['api.openAccess', bool],
  // ---- API security (issue 13) ----
  API_RATE_LIMIT_PER_MINUTE: ['api.rateLimitPerMinute', int],
  API_BODY_LIMIT_BYTES: ['api.bodyLimitBytes', int],
  API_MAX_QUERY_STRING_BYTES: ['api.maxQueryStringBytes', int],
  API_CONNECTION_TIMEOUT_MS: ['api.connectionTimeoutMs', int],
  API_REQUEST_TIMEOUT_MS: ['api.requestTimeoutMs', int],
  API_QUERY_TIMEOUT_S: ['api.queryTimeoutS', int],
  API_ALERT_LIST_CACHE_MS: ['api.alertListCacheMs', int],
  API_AUDIT_BATCH_MS: ['api.auditBatchMs', int],
  API_CORS_ORIGINS: ['api.corsOrigins', list],
  API_ACCESS_MAX_RANGE_DAYS: ['api.accessMaxRangeDays', int],
};

function setPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let cur = obj;
  for (const k of keys.slice(0, -1)) {
    if (typeof cur[k] !== 'object' || cur[k] === null) cur[k] = {};
    cur = cur[k] as Record<string, unknown>;
  }
  cur[keys[keys.length - 1]!] = value;
}

function deepMerge(base: unknown, over: unknown): unknown {
  if (over === undefined) return structuredClone(base);
  if (typeof base !== 'object' || base === null || Array.isArray(base)) return over;
  if (typeof over !== 'object' || over === null || Array.isArray(over)) return over;
  const out: Record<string, unknown> = { ...(structuredClone(base) as Record<string, unknown>) };
  for (const [k, v] of Object.entries(over)) out[k] = deepMerge((base as Record<string, unknown>)[k], v);
  return out;
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

export interface LoadConfigOptions {
  env?: NodeJS.ProcessEnv;
  /** Overrides applied last (CLI flags). */
  overrides?: Record<string, unknown>;
}

/** The YAML parser, loaded only for a LEAKWATCH_CONFIG file (~40 ms of every service's start otherwise). */
const parseYaml = (text: string): unknown =>
  (createRequire(import.meta.url)('yaml') as typeof import('yaml')).parse(text);

/** Reads, validates and freezes the configuration; throws LW_ERR_CONFIG_INVALID listing every problem. */
export function loadConfig(opts: LoadConfigOptions = {}): Readonly<Config> {
  const env = opts.env ?? process.env;
  const problems: string[] = [];
  let merged: unknown = structuredClone(DEFAULTS);
  const file = env['LEAKWATCH_CONFIG'];
  if (file) {
    try {
      merged = deepMerge(merged, parseYaml(readFileSync(file, 'utf8')) ?? {});
    } catch (err) {
      problems.push(`LEAKWATCH_CONFIG=${file}: ${(err as Error).message}`);
    }
  }
  const fromEnv: Record<string, unknown> = {};
  for (const [name, [path, parse]] of Object.entries(ENV)) {
    const raw = env[name];
    if (raw === undefined) continue;
    try {
      setPath(fromEnv, path, parse(raw));
    } catch (err) {
      problems.push(`${name}: ${(err as Error).message}`);
    }
  }
  merged = deepMerge(merged, fromEnv);
  if (opts.overrides) merged = deepMerge(merged, opts.overrides);
  for (const e of Value.Errors(ConfigSchema, merged)) {
    const path = e.path.replace(/^\//, '').replace(/\//g, '.') || '(root)';
    const envName = Object.entries(ENV).find(([, [p]]) => path === p || path.startsWith(`${p}.`))?.[0];
    problems.push(`${path}${envName ? ` (${envName})` : ''}: ${e.message}`);
  }
  if (problems.length > 0) throw ConfigInvalid(problems.join('; '), { details: { problems } });
  return deepFreeze(merged as Config);
}

// ---- notifier (issue 14) ----
/**
 * A secret the notifier's routing file names by its environment variable (`secrets: {routing_key:
 * PD_ROUTING_KEY}`): read here, so that this file and env.ts stay the only readers of process.env. Never logged.
 */
export function readSecretEnv(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const v = env[name];
  return v === undefined || v === '' ? undefined : v;
}
// ---- end notifier ----

// ---- read alone, without a whole config: env.ts (re-exported for the modules that load config anyway) ----
export { PACKAGE_VERSION, redactionKeyFromEnv } from './env.js';
