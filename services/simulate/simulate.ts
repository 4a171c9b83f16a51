// `leakwatch simulate`: a mixed access log (background + labelled attack scenarios) and its labels.
// Pure given the options (seeded PRNG, no clock): the same --seed gives byte-identical files.
//
// Every scenario of the catalogue is always built (so address allocation and placement do not
// depend on --classes); --classes then keeps a subset. Each scenario has its own PRNG stream,
// derived from the seed and the scenario name.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateBackground, readBackground } from './background.js';
import { renderLine, SIM_LOG_FORMAT, type SimLine } from './format.js';
import { IpAllocator } from './ips.js';
import type { LabelsHeader, ScenarioLabel } from './labels.js';
import { serializeLabels } from './labels.js';
import { floorSec, placeScenario } from './placement.js';
import type { Platform } from './platforms.js';
import { hashSeed, Rng } from './prng.js';
import { CLASS_IDS, SCENARIO_CLASSES } from './scenarios/index.js';
import { HOUR } from './scenarios/types.js';

/** Default start when there is no --start and no --background: Monday 3 November 2025, 00:00 UTC. */
export const DEFAULT_START_MS = Date.UTC(2025, 10, 3);
export const DEFAULT_HOURS = 24;

export interface SimulateOptions {
  seed: number;
  /** Epoch ms; for --background: shift the log to start here. */
  start?: number;
  hours?: number;
  background?: string;
  /** Class ids to keep; all when absent. */
  classes?: readonly string[];
  tenant?: string;
}

export interface Simulation {
  lines: SimLine[];
  header: LabelsHeader;
  scenarios: ScenarioLabel[];
  /** Index in `lines` → scenario name, for attack lines. */
  attackOf: Map<SimLine, string>;
  /** Background lines the parser rejected. */
  backgroundSkipped: number;
}

export class SimulateInvalid extends Error {
  override name = 'SimulateInvalid';
}

const PLATFORM_SHORT: Readonly<Record<Platform, string>> = {
  woocommerce: 'woo',
  magento: 'magento',
  shopify: 'shopify',
  wordpress: 'wp',
  telehealth: 'telehealth',
};

/** `leakwatch scan` command line for a simulated log. */
export function scanHint(logPath: string): string {
  const p = /^[\w./:@%+=,-]+$/.test(logPath) ? logPath : `'${logPath.replaceAll("'", "'\\''")}'`;
  return `leakwatch scan ${p} --format nginx --log-format '${SIM_LOG_FORMAT}' --dev`;
}

export function simulate(opts: SimulateOptions, logPath = 'sim.log'): Simulation {
  if (!Number.isInteger(opts.seed)) throw new SimulateInvalid('--seed must be an integer');
  if (opts.hours !== undefined && !(opts.hours > 0))
    throw new SimulateInvalid('--hours must be a positive number');
  const unknown = (opts.classes ?? []).filter((c) => !CLASS_IDS.includes(c));
  if (unknown.length > 0) {
    throw new SimulateInvalid(`unknown scenario class ${unknown.join(', ')}; known: ${CLASS_IDS.join(', ')}`);
  }
  const root = new Rng(hashSeed('leakwatch-simulate', opts.seed));

  let background: SimLine[];
  let simStart: number;
  let simEnd: number;
  let skipped = 0;
  if (opts.background !== undefined) {
    const bg = readBackground(opts.background, {
      ...(opts.start !== undefined ? { startMs: opts.start } : {}),
      ...(opts.hours !== undefined ? { hours: opts.hours } : {}),
    });
    if (bg.lines.length === 0)
      throw new SimulateInvalid(`${opts.background}: no nginx/Apache combined lines`);
    background = bg.lines;
    skipped = bg.skipped;
    simStart = floorSec(bg.firstTs);
    simEnd = opts.hours !== undefined ? simStart + opts.hours * HOUR : bg.lastTs + 1000;
  } else {
    simStart = floorSec(opts.start ?? DEFAULT_START_MS);
    simEnd = simStart + (opts.hours ?? DEFAULT_HOURS) * HOUR;
    background = generateBackground(root.fork('background'), simStart, simEnd);
  }

  const ips = new IpAllocator(root.fork('ips'));
  const keep = opts.classes && opts.classes.length > 0 ? new Set(opts.classes) : null;
  const all: SimLine[] = background.slice();
  const attackOf = new Map<SimLine, string>();
  const scenarios: ScenarioLabel[] = [];
  for (const cls of SCENARIO_CLASSES) {
    const used = new Set<string>();
    for (const v of cls.variants) {
      let name = `${cls.id}/${v.intensity}/${PLATFORM_SHORT[v.platform]}`;
      for (let k = 2; used.has(name); k++)
        name = `${cls.id}/${v.intensity}/${PLATFORM_SHORT[v.platform]}-${k}`;
      used.add(name);
      const rng = root.fork(name);
      placeScenario(
        { classId: cls.id, name, variant: v, rng, ips, simStart, simEnd, keep, tenant: opts.tenant },
        { all, attackOf, scenarios },
      );
    }
  }
  all.sort((a, b) => a.ts - b.ts); // stable: background keeps its order within a second
  const header: LabelsHeader = {
    kind: 'header',
    log_format: SIM_LOG_FORMAT,
    background_lines: all.length - attackOf.size,
    total_lines: all.length,
    seed: opts.seed,
    scan_hint: scanHint(logPath),
    start_ts: simStart,
    end_ts: simEnd,
    background: opts.background ?? null,
    tenant: opts.tenant ?? null,
  };
  return { lines: all, header, scenarios, attackOf, backgroundSkipped: skipped };
}

export interface WrittenSimulation {
  logPath: string;
  labelsPath: string;
  simulation: Simulation;
}

/** Runs simulate() and writes DIR/sim.log and DIR/sim.labels.ndjson. */
export function writeSimulation(dir: string, opts: SimulateOptions): WrittenSimulation {
  mkdirSync(dir, { recursive: true });
  const logPath = join(dir, 'sim.log');
  const labelsPath = join(dir, 'sim.labels.ndjson');
  const sim = simulate(opts, logPath);
  const chunks: string[] = [];
  for (const l of sim.lines) chunks.push(renderLine(l));
  writeFileSync(logPath, chunks.join('\n') + '\n');
  writeFileSync(labelsPath, serializeLabels({ header: sim.header, scenarios: sim.scenarios }));
  return { logPath, labelsPath, simulation: sim };
}
