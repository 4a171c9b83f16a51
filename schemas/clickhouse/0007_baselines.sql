-- Baselines written by the baseline job (services/baselines) and read by the detector's
-- ClickHouse baseline store: robust statistics of per-window features (events, bytes_out, rows_out,
-- distinct_resources) over the lookback, in detector windows of window_ms.
--   scope 'entity': one principal (entity_type, entity_value as the detector names them), per hour of
--                   week (0..167, Monday 00:00 UTC = 0, windows within +-1 h) and for every hour (-1);
--   scope 'peer':   every principal of the tenant whose window's largest response was peer_class (-1);
--   scope 'global': every principal of the tenant (-1).
-- Only statistics over at least the job's minHistory windows are written. A rerun writes the same
-- keys with a higher version (the run's start, epoch ms), which replaces the older rows; readers
-- use FINAL and only rows at or above the latest finished run in baseline_runs, so keys a newer
-- run no longer produced (inactive entities) are ignored until the job deletes them.
CREATE TABLE IF NOT EXISTS {db}.baselines (
    hour_of_week Int16,
    tenant String,
    scope String,
    peer_class String,
    entity_type String,
    entity_value String,
    feature String,
    median Float64,
    mad Float64,
    p95 Float64,
    n UInt32,
    window_ms UInt32,
    computed_at DateTime,
    version UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY (hour_of_week, tenant, scope, peer_class, entity_type, entity_value, feature);

-- One row per finished run of the baseline job: readers take the newest version per window_ms.
CREATE TABLE IF NOT EXISTS {db}.baseline_runs (
    version UInt64,
    window_ms UInt32,
    started_at DateTime,
    finished_at DateTime,
    data_from DateTime,
    data_to DateTime,
    entities UInt64,
    windows UInt64,
    dirty_windows UInt64,
    rows UInt64
) ENGINE = MergeTree()
ORDER BY (window_ms, version);
