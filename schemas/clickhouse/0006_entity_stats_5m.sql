-- Per-entity 5-minute rollups of access_events: one row per tenant, principal (the same key as
-- services/shared/principal.ts), 5-minute bucket and route class (resource_kind, 'none' without one)
-- after merges. The baseline job regroups buckets into detector windows; the API can chart them.
--
-- Replays. A materialized view fires on every insert, including an archiver batch that is
-- redelivered after a crash (same event_ids; access_events collapses them, a rollup cannot). 18.16
-- has no insert deduplication for non-replicated tables, and the archiver does not know which ids
-- it already wrote, so the rollup is made *self-checking* instead of trusted blindly:
--   * max_response_bytes and distinct_resources are idempotent (max, uniq): replays change nothing;
--   * requests, bytes, rows and status counts are plain sums, exact while no event is counted twice;
--   * event_ids (uniq of event_id) next to requests tells which: a bucket whose requests differ from
--     its distinct event ids has been double-counted.
-- Readers (services/baselines/queries.ts) use the rollup where it is clean and recompute the
-- dirty buckets from access_events FINAL, so what they return is exact either way.
-- Trade-off chosen: the rollup stays small and cheap on the normal path (no per-event state
-- beyond the id sketch), and replays cost a targeted re-read of the raw rows of the affected
-- entity-windows instead of corrupting baselines. uniq is exact up to 65,536 ids except for
-- hash collisions, which only make a clean bucket look dirty (a needless re-read); above that it
-- estimates, so such busy windows nearly always read as dirty and are re-read too. A double count
-- could hide only where an estimate equals the inflated count. Buckets are never repaired in
-- place. Same behaviour on 18.16 and 24.x+.
CREATE TABLE IF NOT EXISTS {db}.entity_stats_5m (
    tenant String,
    principal String,
    bucket DateTime,
    route_class String,
    requests AggregateFunction(count),
    event_ids AggregateFunction(uniq, String),
    bytes_out_sum AggregateFunction(sum, UInt64),
    rows_out_sum AggregateFunction(sum, UInt64),
    max_response_bytes AggregateFunction(max, UInt64),
    distinct_resources AggregateFunction(uniq, String),
    status_4xx AggregateFunction(sum, UInt64),
    status_404 AggregateFunction(sum, UInt64)
) ENGINE = AggregatingMergeTree()
PARTITION BY toDate(bucket)
ORDER BY (tenant, principal, bucket, route_class);

-- Columns are filled by name. State names differ from the source columns (bytes_out_sum): an alias
-- equal to a column name would shadow it inside the other aggregates (Code 184 on 18.16). Distinct resources are counted per route (the
-- detector counts ids per route), on routes that name a resource kind.
CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.entity_stats_5m_mv TO {db}.entity_stats_5m AS
SELECT
    tenant,
    principal,
    toStartOfFiveMinute(ts) AS bucket,
    ifNull(resource_kind, 'none') AS route_class,
    countState() AS requests,
    uniqState(event_id) AS event_ids,
    sumState(bytes_out) AS bytes_out_sum,
    sumState(ifNull(rows_out, toUInt64(0))) AS rows_out_sum,
    maxState(bytes_out) AS max_response_bytes,
    uniqStateIf(concat(route, ' ', assumeNotNull(resource_id)), isNotNull(resource_id) AND isNotNull(resource_kind)) AS distinct_resources,
    sumState(toUInt64(ifNull(status, 0) >= 400 AND ifNull(status, 0) < 500)) AS status_4xx,
    sumState(toUInt64(ifNull(status, 0) = 404)) AS status_404
FROM {db}.access_events
GROUP BY tenant, principal, bucket, route_class;
