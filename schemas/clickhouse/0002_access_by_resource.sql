-- "Who accessed order 1234 / recording X": the same events ordered by resource (18.16 has no
-- projections, so a materialized view fills a second table).
CREATE TABLE IF NOT EXISTS {db}.access_by_resource (
    tenant String,
    resource_kind String,
    resource_id String,
    ts DateTime,
    ts_ms UInt64,
    event_id String,
    principal String,
    route String,
    http_method Nullable(String),
    status Nullable(Int32),
    bytes_out UInt64,
    rows_out Nullable(UInt64)
) ENGINE = ReplacingMergeTree()
PARTITION BY toDate(ts)
ORDER BY (tenant, resource_kind, resource_id, ts, event_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.access_by_resource_mv TO {db}.access_by_resource AS
SELECT
    tenant,
    ifNull(resource_kind, '') AS resource_kind,
    assumeNotNull(resource_id) AS resource_id,
    ts,
    ts_ms,
    event_id,
    principal,
    route,
    http_method,
    status,
    bytes_out,
    rows_out
FROM {db}.access_events
WHERE isNotNull(resource_id);
