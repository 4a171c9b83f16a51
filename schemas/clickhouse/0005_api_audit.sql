-- Who asked the API what: every read of access history is recorded.
CREATE TABLE IF NOT EXISTS {db}.api_audit (
    ts DateTime,
    request_id String,
    token_id String,
    role String,
    method String,
    route String,
    query String,
    status UInt16,
    rows UInt64
) ENGINE = MergeTree()
PARTITION BY toDate(ts)
ORDER BY (ts, request_id);
