// ClickHouse rows of suppressions -> the JSON the API returns.
export type SuppressionScope = 'alert' | 'entity' | 'rule-entity';

export function suppressionView(r: Record<string, string | number>, now: number) {
  const deletedAt = Number(r['deleted_at_ms']);
  const expiresAt = Number(r['expires_at_ms']);
  return {
    suppression_id: String(r['suppression_id']),
    tenant: String(r['tenant']),
    scope: String(r['scope']) as SuppressionScope,
    alert_id: String(r['alert_id']),
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
