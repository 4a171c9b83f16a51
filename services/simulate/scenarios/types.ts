// What a scenario class module provides: variants (intensity × platform), each building the
// attack lines (labelled) and, when the detection needs a baseline, the entity's normal history
// before the attack (unlabelled, counted as background).

import type { SimLine } from '../format.js';
import type { IpAllocator } from '../ips.js';
import type { Platform } from '../platforms.js';
import type { Rng } from '../prng.js';

export type EntityType = 'client_ip' | 'user' | 'api_key' | 'session' | 'route';

/** An entity as written in the log; eval maps it to the alert entity value (tokens for keys/sessions). */
export interface LabelEntity {
  type: EntityType;
  raw: string;
}

export interface ScenarioContext {
  rng: Rng;
  ips: IpAllocator;
  /** Simulation bounds, epoch ms. */
  simStart: number;
  simEnd: number;
  /** Attack start. */
  t0: number;
  /** Time the attack may take: the variant's durationMs, less when the simulation is short. */
  durationMs: number;
}

export interface ScenarioBuild {
  /** Every principal the alert may name: the attacker's, plus the route for walks on one route. */
  entities: LabelEntity[];
  /** The attack's lines (labelled). */
  attack: SimLine[];
  /** The entity's normal activity before the attack (a baseline needs history); background. */
  history?: SimLine[];
  description: string;
}

export interface ScenarioVariant {
  intensity: string;
  platform: Platform;
  /** Planned attack duration. */
  durationMs: number;
  /** Place the attack late enough for hours of history before it. */
  needsHistory?: boolean;
  /** Accepted rule ids besides the class id. */
  alsoRules?: readonly string[];
  build(ctx: ScenarioContext): ScenarioBuild;
}

export interface ScenarioClass {
  /** = the rule id that should catch it. */
  id: string;
  variants: readonly ScenarioVariant[];
}

export const SEC = 1000;
export const MIN = 60 * SEC;
export const HOUR = 60 * MIN;

/**
 * n request times from t0: gaps uniform in [minGapMs, maxGapMs], scaled down when n gaps would not
 * fit in budgetMs. Returns ascending times.
 */
export function pace(
  rng: Rng,
  t0: number,
  n: number,
  minGapMs: number,
  maxGapMs: number,
  budgetMs: number,
): number[] {
  const gaps: number[] = [];
  let total = 0;
  for (let i = 1; i < n; i++) {
    const g = rng.float(minGapMs, maxGapMs);
    gaps.push(g);
    total += g;
  }
  const k = total > budgetMs && total > 0 ? budgetMs / total : 1;
  const out = [t0];
  let t = t0;
  for (const g of gaps) {
    t += g * k;
    out.push(t);
  }
  return out;
}

/**
 * Ids from `first` walked one by one: `count` distinct ids, a few skipped (deleted records),
 * neighbouring pairs sometimes swapped (parallel requests), an occasional retry of the previous id.
 */
export function walk(
  rng: Rng,
  first: number,
  count: number,
  opts: { skip?: number; swap?: number; retry?: number } = {},
): number[] {
  const skip = opts.skip ?? 0.05;
  const swap = opts.swap ?? 0.08;
  const retry = opts.retry ?? 0.03;
  const ids: number[] = [];
  let id = first;
  while (ids.length < count) {
    if (!rng.chance(skip)) ids.push(id);
    id++;
  }
  for (let i = 0; i + 1 < ids.length; i++) {
    if (rng.chance(swap)) {
      const a = ids[i] as number;
      ids[i] = ids[i + 1] as number;
      ids[i + 1] = a;
      i++;
    }
  }
  const out: number[] = [];
  for (const v of ids) {
    out.push(v);
    if (out.length > 1 && rng.chance(retry)) out.push(v);
  }
  return out;
}
