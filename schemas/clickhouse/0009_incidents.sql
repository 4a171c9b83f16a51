-- Incidents (issue 12). The 0004 `incidents` table was never written nor read by anything: it is
-- replaced by the real one. Writers: the incident grouper (`leakwatch incidents`) and the API's
-- incident routes. Readers use FINAL (or argMax by version).
DROP TABLE IF EXISTS {db}.incidents;

-- One row per incident version. status: open, investigating, contained, notified, closed.
-- severity, risk_score, rules, actor_keys, alert_count, first/last_seen are recomputed from the
-- incident's members (incident_alerts) by whoever writes a version; status and owner by people.
-- discovered_at_ms = opened_at_ms (the clock, see README "Incidents"); confirmed_at_ms is 0 until a
-- person sets investigating or later; notified_at_ms / closed_at_ms are 0 until then.
CREATE TABLE IF NOT EXISTS {db}.incidents (
    incident_id String,
    tenant String,
    title String,
    status String,
    owner String,
    severity String,
    risk_score Float64,
    actor_type String,
    actor_value String,
    actor_keys Array(String),
    rules Array(String),
    alert_count UInt32,
    first_seen_ms UInt64,
    last_seen_ms UInt64,
    opened_at_ms UInt64,
    discovered_at_ms UInt64,
    confirmed_at_ms UInt64,
    notified_at_ms UInt64,
    closed_at_ms UInt64,
    version UInt64,
    updated_by String
) ENGINE = ReplacingMergeTree(version)
ORDER BY (tenant, incident_id);

-- Membership, with the facts of each member alert the grouper last saw (so an incident's severity
-- and risk never wait for the archiver). An alert's incident is its row with the newest
-- joined_at_ms: a person's move (a later joined_at_ms) wins over the grouper's join. A re-emitted
-- alert writes a new version of the same row (same joined_at_ms).
CREATE TABLE IF NOT EXISTS {db}.incident_alerts (
    tenant String,
    incident_id String,
    alert_id String,
    joined_at_ms UInt64,
    joined_by String,
    rule String,
    severity String,
    score Float64,
    entity_type String,
    entity_value String,
    resource_kind String,
    title String,
    first_seen_ms UInt64,
    last_seen_ms UInt64,
    version UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY (tenant, incident_id, alert_id);

-- The timeline: who did what, when (open, join, status, owner, merge, move).
CREATE TABLE IF NOT EXISTS {db}.incident_events (
    tenant String,
    incident_id String,
    at_ms UInt64,
    actor String,
    action String,
    status String,
    note String
) ENGINE = MergeTree()
ORDER BY (tenant, incident_id, at_ms);
