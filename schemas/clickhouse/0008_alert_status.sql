-- What people decide about alerts, kept apart from the detector's rows. The detector versions its
-- `alerts` rows by last_seen, so a person's status written there would be undone by the next
-- re-emission of a growing alert; here it cannot be: the detector never writes these tables.
-- An alert's status is its newest change here (argMax by changed_at_ms), else the detector's own.
-- Append-only: the rows are the alert's status timeline. A retried write repeats its change_id
-- and collapses on merge.
CREATE TABLE IF NOT EXISTS {db}.alert_status_changes (
    tenant String,
    alert_id String,
    change_id String,
    changed_at DateTime,
    changed_at_ms UInt64,
    action String,
    status String,
    actor String,
    reason String,
    suppression_id String,
    verdict String
) ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(changed_at)
ORDER BY (alert_id, changed_at_ms, change_id);

-- Suppressions are objects: scope 'alert' (one alert_id), 'entity' (every rule on one entity) or
-- 'rule-entity'. The detector emits matching alerts with status suppressed while one is active
-- (not deleted, expires_at_ms in the future); they are stored and listed, never paged. A deletion
-- is a new version with deleted_at_ms set.
CREATE TABLE IF NOT EXISTS {db}.suppressions (
    suppression_id String,
    tenant String,
    scope String,
    alert_id String,
    rule String,
    entity_type String,
    entity_value String,
    reason String,
    created_by String,
    created_at_ms UInt64,
    expires_at_ms UInt64,
    deleted_at_ms UInt64,
    deleted_by String,
    version UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY suppression_id;

-- Allow entries from feedback "legitimate": the detector raises nothing for that rule and entity
-- until expires_at_ms (re-read every DETECTOR_POLICY_REFRESH_MS, no restart).
CREATE TABLE IF NOT EXISTS {db}.allow_entries (
    allow_id String,
    tenant String,
    rule String,
    entity_type String,
    entity_value String,
    reason String,
    source_alert_id String,
    created_by String,
    created_at_ms UInt64,
    expires_at_ms UInt64,
    deleted_at_ms UInt64,
    deleted_by String,
    version UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY allow_id;
