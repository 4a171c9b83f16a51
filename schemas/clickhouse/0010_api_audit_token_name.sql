-- api_audit names the caller by the token's name from API_TOKENS as well as its id (the first 12 hex
-- digits of the token's SHA-256), so a reader of the trail need not look the id up.
-- ADD COLUMN has no IF NOT EXISTS on 18.16; the migration runner applies this file once.
ALTER TABLE {db}.api_audit ADD COLUMN token_name String DEFAULT '' AFTER token_id;
