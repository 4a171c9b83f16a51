-- Incidents group alerts and carry the breach-notification clock.
CREATE TABLE IF NOT EXISTS {db}.incidents (
    incident_id String,
    tenant String,
    title String,
    status String,
    severity String,
    opened_at DateTime,
    detected_at DateTime,
    notify_deadline DateTime,
    closed_at Nullable(DateTime),
    alert_ids Array(String),
    notes String,
    updated_by String,
    version UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY (tenant, incident_id);
