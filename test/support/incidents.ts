// Test support for incident code: a membership row with plain defaults, changed by `over`.
import type { MemberRow } from '../../services/shared/incidents/model.js';

/** 2026-11-20 09:00 UTC: the time the rows below are at unless told otherwise. */
export const MEMBER_T = Date.UTC(2026, 10, 20, 9);

export function memberRow(over: Partial<MemberRow>): MemberRow {
  return {
    tenant: 'shop',
    incident_id: 'i1',
    alert_id: 'a1',
    joined_at_ms: MEMBER_T,
    joined_by: 'incidents',
    rule: 'egress',
    severity: 'high',
    score: 4,
    entity_type: 'user',
    entity_value: 'u1',
    resource_kind: '',
    title: 't',
    first_seen_ms: MEMBER_T,
    last_seen_ms: MEMBER_T,
    version: MEMBER_T,
    ...over,
  };
}
