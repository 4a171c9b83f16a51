-- Raw, redacted access events. One row per event_id after merges: the sorting key is a function of
-- the event, and event_id is deterministic, so a replayed batch collapses into the same rows.
CREATE TABLE IF NOT EXISTS {db}.access_events (
    event_id String,
    ts DateTime,
    ts_ms UInt64,
    source_kind String,
    source String,
    tenant String,
    principal String,
    user_id Nullable(String),
    session_hash Nullable(String),
    api_key_id Nullable(String),
    client_ip Nullable(String),
    user_agent Nullable(String),
    db_user Nullable(String),
    authenticated UInt8,
    emergency_access UInt8,
    http_method Nullable(String),
    db_operation Nullable(String),
    route String,
    resource_id Nullable(String),
    resource_kind Nullable(String),
    status Nullable(Int32),
    bytes_out UInt64,
    rows_out Nullable(UInt64),
    duration_ms Nullable(Float64),
    findings Array(String),
    attrs Nested(key String, value String)
) ENGINE = ReplacingMergeTree()
PARTITION BY toDate(ts)
ORDER BY (tenant, principal, ts, event_id);
