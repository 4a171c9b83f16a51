// ClickHouse rows of suppressions and allow entries -> the JSON the API returns.
export type SuppressionScope = 'alert' | 'entity' | 'rule-entity';

type Row = Record<string, string | number>;

/** What suppressions and allow entries share: who made them, when they end, whether they apply now. */
function lifetime(r: Row, now: number) {
  const deletedAt = Number(r['deleted_at_ms']);
  const expiresAt = Number(r['expires_at_ms']);
  return {
    tenant: String(r['tenant']),
    rule: String(r['rule']),
    entity: { type: String(r['entity_type']), value: String(r['entity_value']) },
    reason: String(r['reason']),
    created_by: String(r['created_by']),
    created_at: Number(r['created_at_ms']),
    expires_at: expiresAt,
    deleted_at: deletedAt > 0 ? deletedAt : null,
    deleted_by: deletedAt > 0 ? String(r['deleted_by']) : null,
    active: deletedAt === 0 && expiresAt > now,
  };
}

export function suppressionView(r: Row, now: number) {
  return {
    suppression_id: String(r['suppression_id']),
    scope: String(r['scope']) as SuppressionScope,
    alert_id: String(r['alert_id']),
    ...lifetime(r, now),
  };
}

export function allowEntryView(r: Row, now: number) {
  return {
    allow_id: String(r['allow_id']),
    source_alert_id: String(r['source_alert_id']),
    ...lifetime(r, now),
  };
}
