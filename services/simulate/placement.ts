// Where a scenario's attack goes in the simulated span and how it is labelled: one rule for every
// log family (web, database, object store). The attack starts after the first 30% of the span (hours
// of history for baselines; more for variants that need it) and ends before the span does.
import type { IpAllocator } from './ips.js';
import type { ScenarioLabel } from './labels.js';
import type { Rng } from './prng.js';
import { HOUR, type LabelEntity, MIN, type ScenarioContext } from './scenarios/types.js';

export function floorSec(ms: number): number {
  return Math.floor(ms / 1000) * 1000;
}

/** A scenario variant over lines of any family (ScenarioVariant, StorageScenarioVariant). */
export interface PlaceableVariant<L extends { ts: number }> {
  intensity: string;
  platform: ScenarioLabel['platform'];
  durationMs: number;
  needsHistory?: boolean;
  alsoRules?: readonly string[];
  build(ctx: ScenarioContext): { entities: LabelEntity[]; attack: L[]; history?: L[]; description: string };
}

export interface Placement<L> {
  /** Background and every placed scenario's lines (history included), unsorted. */
  all: L[];
  /** Each attack line's scenario name. */
  attackOf: Map<L, string>;
  scenarios: ScenarioLabel[];
}

/**
 * Builds one variant at its place in [simStart, simEnd) with its own random stream, and adds its
 * lines and label to `into`. The variant is always built (so the streams of the others do not
 * depend on --classes), then left out when its class is not kept or it made no attack.
 */
export function placeScenario<L extends { ts: number }>(
  s: {
    classId: string;
    name: string;
    variant: PlaceableVariant<L>;
    rng: Rng;
    ips: IpAllocator;
    simStart: number;
    simEnd: number;
    keep: ReadonlySet<string> | null;
    tenant?: string | undefined;
  },
  into: Placement<L>,
): void {
  const { variant: v, rng, simStart, simEnd } = s;
  const span = simEnd - simStart;
  const margin = Math.min(10 * MIN, 0.02 * span);
  const earliest =
    simStart + (v.needsHistory ? Math.max(0.3 * span, Math.min(8 * HOUR, 0.5 * span)) : 0.3 * span);
  let duration = v.durationMs;
  let latest = simEnd - margin - duration;
  if (latest < earliest) {
    duration = Math.max(MIN, simEnd - margin - earliest);
    latest = earliest;
  }
  const t0 = floorSec(earliest + rng.next() * (latest - earliest));
  const built = v.build({ rng, ips: s.ips, simStart, simEnd, t0, durationMs: duration });
  if (s.keep !== null && !s.keep.has(s.classId)) return;
  if (built.attack.length === 0) return;
  let start = Number.POSITIVE_INFINITY;
  let end = Number.NEGATIVE_INFINITY;
  for (const l of built.attack) {
    l.ts = floorSec(l.ts);
    start = Math.min(start, l.ts);
    end = Math.max(end, l.ts);
    into.attackOf.set(l, s.name);
    into.all.push(l);
  }
  for (const l of built.history ?? []) {
    l.ts = floorSec(l.ts);
    if (l.ts >= simStart && l.ts < simEnd) into.all.push(l);
  }
  into.scenarios.push({
    scenario: s.name,
    class: s.classId,
    intensity: v.intensity,
    platform: v.platform,
    rules: [s.classId, ...(v.alsoRules ?? [])],
    entities: built.entities,
    start_ts: start,
    end_ts: end,
    lines: built.attack.length,
    description: built.description,
    ...(s.tenant !== undefined ? { tenant: s.tenant } : {}),
  });
}
