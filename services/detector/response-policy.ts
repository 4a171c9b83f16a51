// What responders decided, applied to the alerts the detector raises: an allow entry (feedback
// "legitimate") drops its rule's alerts for that entity; an active suppression marks matching
// alerts `suppressed` (stored and listed, never paged). Both are read from ClickHouse every
// detector.policyRefreshMs, so a decision takes effect without a restart; when ClickHouse is
// unreachable the last entries read stay in force.
import type { Alert } from '#shared/avro/generated/alert.js';
import { type ClickHouseClient, queryRows } from '#shared/clickhouse/client.js';
import type { Config } from '#shared/config.js';
import type { Logger } from '#shared/log.js';
import { policyQueries } from './response-policy-queries.js';

export interface AllowEntry {
  tenant: string;
  rule: string;
  entity_type: string;
  entity_value: string;
  expires_at_ms: number;
}

export interface Suppression {
  suppression_id: string;
  tenant: string;
  scope: string;
  alert_id: string;
  rule: string;
  entity_type: string;
  entity_value: string;
  expires_at_ms: number;
}

export type Verdict = 'pass' | 'drop' | 'suppress';

const key = (...parts: string[]) => parts.join('\u0000');

/** Pure matching over one snapshot of entries; `now` is wall-clock ms (entries expire in real time). */
export class ResponsePolicy {
  private readonly allows = new Map<string, number>();
  private readonly byAlert = new Map<string, number>();
  private readonly byRuleEntity = new Map<string, number>();
  private readonly byEntity = new Map<string, number>();

  constructor(allows: readonly AllowEntry[], suppressions: readonly Suppression[]) {
    const keep = (m: Map<string, number>, k: string, exp: number) => m.set(k, Math.max(m.get(k) ?? 0, exp));
    for (const a of allows)
      keep(this.allows, key(a.tenant, a.rule, a.entity_type, a.entity_value), a.expires_at_ms);
    for (const s of suppressions) {
      if (s.scope === 'alert') keep(this.byAlert, s.alert_id, s.expires_at_ms);
      else if (s.scope === 'rule-entity')
        keep(this.byRuleEntity, key(s.tenant, s.rule, s.entity_type, s.entity_value), s.expires_at_ms);
      else keep(this.byEntity, key(s.tenant, s.entity_type, s.entity_value), s.expires_at_ms);
    }
  }

  get size(): number {
    return this.allows.size + this.byAlert.size + this.byRuleEntity.size + this.byEntity.size;
  }

  verdict(a: Pick<Alert, 'alert_id' | 'tenant' | 'rule' | 'entity'>, now: number): Verdict {
    if (this.size === 0) return 'pass';
    const { type, value } = a.entity;
    if ((this.allows.get(key(a.tenant, a.rule, type, value)) ?? 0) > now) return 'drop';
    if ((this.byAlert.get(a.alert_id) ?? 0) > now) return 'suppress';
    if ((this.byRuleEntity.get(key(a.tenant, a.rule, type, value)) ?? 0) > now) return 'suppress';
    if ((this.byEntity.get(key(a.tenant, type, value)) ?? 0) > now) return 'suppress';
    return 'pass';
  }
}

export interface PolicySource {
  current(): ResponsePolicy;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createPolicySource(
  cfg: Pick<Config, 'clickhouse' | 'detector'>,
  log: Logger,
  ch: ClickHouseClient,
  onLoad?: (entries: number) => void,
): PolicySource {
  let policy = new ResponsePolicy([], []);
  let timer: NodeJS.Timeout | undefined;
  let failing = false;

  async function load(): Promise<void> {
    const [allowQ, suppressQ] = policyQueries(cfg.clickhouse.database, Date.now());
    try {
      const [allows, suppressions] = await Promise.all([
        queryRows<AllowEntry>(ch, allowQ!.sql),
        queryRows<Suppression>(ch, suppressQ!.sql),
      ]);
      const num = <T extends { expires_at_ms: number }>(rows: T[]) =>
        rows.map((r) => ({ ...r, expires_at_ms: Number(r.expires_at_ms) }));
      policy = new ResponsePolicy(num(allows), num(suppressions));
      onLoad?.(policy.size);
      if (failing) log.info({ entries: policy.size }, 'response policy read again');
      failing = false;
    } catch (err) {
      // Missing tables (not migrated yet) or ClickHouse down: keep what we had, say so once.
      if (!failing) log.warn({ err }, 'could not read suppressions and allow entries; keeping the last ones');
      failing = true;
    }
  }

  return {
    current: () => policy,
    async start() {
      if (cfg.detector.policyRefreshMs === 0) return;
      await load();
      const tick = () => {
        timer = setTimeout(
          () => void load().finally(() => timer !== undefined && tick()),
          cfg.detector.policyRefreshMs,
        );
        timer.unref();
      };
      tick();
    },
    async stop() {
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
  };
}
