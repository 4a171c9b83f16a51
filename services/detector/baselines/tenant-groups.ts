// Stream-learnt baselines for a detector with several partitions: each partition's engine learns
// its own entities' histories (an entity lives in one partition), while peer groups and the
// tenant-wide group are learnt once per process, from every partition's windows. So a peer
// threshold (egress for a newcomer, distinct-resource-burst for an entity without history) rests
// on the tenant's whole traffic, as in `leakwatch scan`, not on the share of it that happened to
// hash to the same partition: it no longer depends on the number of partitions.
//
// What it still depends on: during a catch-up, how far each partition has got when a group summary
// is recomputed (groups refresh every 512 windows over their last 2048). With the by-route
// alignment holding the partitions near each other in event time this is a small effect; exactly
// partition-independent peers come from ClickHouse (the baseline job), which the detector's
// LayeredBaselineStore prefers when it has them.
import type { Entity } from '#shared/avro/generated/alert.js';
import type { Baseline, BaselineStore, WindowFeatures } from '../rules/types.js';
import { type MemoryBaselineOptions, MemoryBaselineStore } from './memory-store.js';

/**
 * The shared store learns every window under one stand-in entity per tenant (its groups are what
 * matter; one reused history instead of one per principal), and is asked under another that never
 * has a history, so it answers with the peer group or the tenant.
 */
const LEARNER: Entity = { type: 'route', value: '\u0000groups' };
const ASKER: Entity = { type: 'route', value: '\u0000peers' };

/** The process-wide group learner: a memory store holding no principal's history. */
export function createTenantGroups(opts: Partial<MemoryBaselineOptions> = {}): MemoryBaselineStore {
  // LEARNER's own history would never be asked for: learn the groups only.
  return new MemoryBaselineStore({ maxEntities: 10_000, learn: 'groups', ...opts });
}

/** A partition's entity histories: its peer and tenant answers are the shared groups' (learn: 'entities'). */
export function createPartitionEntities(opts: Partial<MemoryBaselineOptions> = {}): MemoryBaselineStore {
  return new MemoryBaselineStore({ learn: 'entities', ...opts });
}

/** One partition's store: its own entity histories, the process's groups. */
export class PartitionBaselineStore implements BaselineStore {
  constructor(
    private readonly entities: BaselineStore,
    private readonly groups: BaselineStore,
  ) {}

  get(entity: Entity, tenant: string, windowStart: number, peerClass: string): Baseline | undefined {
    const own = this.entities.get(entity, tenant, windowStart, peerClass);
    if (own?.source === 'entity') return own;
    return this.groups.get(ASKER, tenant, windowStart, peerClass);
  }

  observe(entity: Entity, tenant: string, windowStart: number, peerClass: string, f: WindowFeatures): void {
    this.entities.observe?.(entity, tenant, windowStart, peerClass, f);
    this.groups.observe?.(LEARNER, tenant, windowStart, peerClass, f);
  }
}
