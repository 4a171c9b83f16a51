-- The alerts again, ordered by last_seen: the alert list reads its newest page from here by a range
-- of the sorting key (a few granules) instead of every row of `alerts`, which is ordered by alert_id
-- (a hash) so that a re-emission replaces its row. 18.16 has no projections: a materialized view
-- fills it, and the existing rows are copied once below. Every version of an alert is kept (a
-- re-emission has a later last_seen, so a new sorting key); readers take each alert's newest with
-- LIMIT 1 BY alert_id. A replayed version collapses on merge (same key and version).
CREATE TABLE IF NOT EXISTS {db}.alerts_by_time (
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
PARTITION BY toYYYYMM(last_seen)
ORDER BY (last_seen, alert_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.alerts_by_time_mv TO {db}.alerts_by_time AS
SELECT alert_id, fingerprint, rule, severity, entity_type, entity_value, tenant, first_seen, first_seen_ms,
    last_seen, last_seen_ms, status, title, feature, observed, score, explanation, labels.key, labels.value, version
FROM {db}.alerts;

INSERT INTO {db}.alerts_by_time
SELECT alert_id, fingerprint, rule, severity, entity_type, entity_value, tenant, first_seen, first_seen_ms,
    last_seen, last_seen_ms, status, title, feature, observed, score, explanation, labels.key, labels.value, version
FROM {db}.alerts;
