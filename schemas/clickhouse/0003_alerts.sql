-- Alerts: a new version per update (detector re-emits with a later last_seen; ack/resolve write a
-- new row). Readers use FINAL or argMax(..., version).
CREATE TABLE IF NOT EXISTS {db}.alerts (
    alert_id String,
    fingerprint String,
    rule String,
    severity String,
    entity_type String,
    entity_value String,
    tenant String,
    first_seen DateTime,
    first_seen_ms UInt64,
    last_seen DateTime,
    last_seen_ms UInt64,
    status String,
    title String,
    feature String,
    observed Float64,
    score Float64,
    explanation String,
    labels Nested(key String, value String),
    version UInt64
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(first_seen)
ORDER BY (tenant, alert_id);
