// Topic names live in config (tests use unique ones); these are the defaults DESIGN.md fixes.
import type { Config } from '../config.js';

export const TOPICS = {
  access: 'leakwatch.access.v1',
  accessByRoute: 'leakwatch.access-by-route.v1',
  alerts: 'leakwatch.alerts.v1',
  status: 'leakwatch.status.v1',
  deadletter: 'leakwatch.deadletter.v1',
} as const;

export function allTopics(cfg: Pick<Config, 'topics'>): string[] {
  return [
    cfg.topics.access,
    cfg.topics.accessByRoute,
    cfg.topics.alerts,
    cfg.topics.status,
    cfg.topics.deadletter,
  ];
}

/** What a dead letter carries: enough to find and fix the line, no plaintext PHI. */
export interface DeadLetter {
  /** The error code, e.g. LW_ERR_PARSE_MALFORMED_LINE */
  reason: string;
  message: string;
  service: string;
  source: string;
  /** Byte offset (files) or offset (topics) of the rejected record. */
  position: string;
  ingested_at: number;
  /** sha256 of the raw record, to find it in the original log. */
  record_sha256: string;
  record_bytes: number;
  /** The record with PHI patterns replaced by tokens, truncated. */
  record_redacted: string;
}
