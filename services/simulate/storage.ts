// `leakwatch simulate --family s3|cloudtrail`: object-store logs with labelled leaks, the storage
// counterpart of simulate.ts. Background from storage-background.ts (a telehealth media bucket and
// a public website bucket), scenarios from scenarios/storage-leaks.ts; the same lines rendered as
// S3 server access log lines (`s3.log`, read with `--format s3`) or CloudTrail S3 data events
// (`cloudtrail.log`, `--format cloudtrail`). Pure given the options, like simulate().

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { IpAllocator } from './ips.js';
import type { LabelsHeader, ScenarioLabel } from './labels.js';
import { serializeLabels } from './labels.js';
import { floorSec, placeScenario } from './placement.js';
import { hashSeed, Rng } from './prng.js';
import { STORAGE_SCENARIO_CLASSES } from './scenarios/index.js';
import { HOUR } from './scenarios/types.js';
import { DEFAULT_HOURS, DEFAULT_START_MS, SimulateInvalid, type SimulateOptions } from './simulate.js';
import { generateStorageBackground } from './storage-background.js';
import { renderStorageLine, type StorageFamily, type StorageLine } from './storage-format.js';

export interface StorageSimulation {
  family: StorageFamily;
  lines: StorageLine[];
  header: LabelsHeader;
  scenarios: ScenarioLabel[];
  attackOf: Map<StorageLine, string>;
}

export function storageScanHint(logPath: string, family: StorageFamily): string {
  const p = /^[\w./:@%+=,-]+$/.test(logPath) ? logPath : `'${logPath.replaceAll("'", "'\\''")}'`;
  return `leakwatch scan ${p} --format ${family} --dev`;
}

/** Class ids of the storage scenarios. */
export const STORAGE_CLASS_IDS: readonly string[] = Object.freeze([
  ...new Set(STORAGE_SCENARIO_CLASSES.map((c) => c.id)),
]);

export function simulateStorage(
  opts: SimulateOptions,
  family: StorageFamily,
  logPath = `${family}.log`,
): StorageSimulation {
  if (!Number.isInteger(opts.seed)) throw new SimulateInvalid('--seed must be an integer');
  if (opts.background !== undefined)
    throw new SimulateInvalid('--background is a web log: not with --family s3 / cloudtrail');
  if (opts.hours !== undefined && !(opts.hours > 0))
    throw new SimulateInvalid('--hours must be a positive number');
  const unknown = (opts.classes ?? []).filter((c) => !STORAGE_CLASS_IDS.includes(c));
  if (unknown.length > 0) {
    throw new SimulateInvalid(
      `unknown storage scenario class ${unknown.join(', ')}; known: ${STORAGE_CLASS_IDS.join(', ')}`,
    );
  }
  // One stream for both families: the s3 and cloudtrail logs of a seed hold the same requests.
  const root = new Rng(hashSeed('leakwatch-simulate-storage', opts.seed));
  const simStart = floorSec(opts.start ?? DEFAULT_START_MS);
  const simEnd = simStart + (opts.hours ?? DEFAULT_HOURS) * HOUR;
  const background = generateStorageBackground(root.fork('background'), simStart, simEnd);
  const ips = new IpAllocator(root.fork('ips'));
  const keep = opts.classes && opts.classes.length > 0 ? new Set(opts.classes) : null;
  const all: StorageLine[] = background.slice();
  const attackOf = new Map<StorageLine, string>();
  const scenarios: ScenarioLabel[] = [];
  const used = new Set<string>();
  for (const cls of STORAGE_SCENARIO_CLASSES) {
    for (const v of cls.variants) {
      let name = `${cls.id}/${v.intensity}/${family}`;
      for (let k = 2; used.has(name); k++) name = `${cls.id}/${v.intensity}/${family}-${k}`;
      used.add(name);
      const rng = root.fork(`${cls.id}/${v.intensity}`);
      placeScenario(
        { classId: cls.id, name, variant: v, rng, ips, simStart, simEnd, keep, tenant: opts.tenant },
        { all, attackOf, scenarios },
      );
    }
  }
  for (const l of all) l.ts = floorSec(l.ts);
  all.sort((a, b) => a.ts - b.ts);
  const header: LabelsHeader = {
    kind: 'header',
    log_format: family,
    background_lines: all.length - attackOf.size,
    total_lines: all.length,
    seed: opts.seed,
    scan_hint: storageScanHint(logPath, family),
    start_ts: simStart,
    end_ts: simEnd,
    background: null,
    tenant: opts.tenant ?? null,
  };
  return { family, lines: all, header, scenarios, attackOf };
}

/** simulateStorage() written as DIR/<family>.log and DIR/<family>.labels.ndjson. */
export function writeStorageSimulation(
  dir: string,
  opts: SimulateOptions,
  family: StorageFamily,
): { logPath: string; labelsPath: string; simulation: StorageSimulation } {
  mkdirSync(dir, { recursive: true });
  const logPath = join(dir, `${family}.log`);
  const labelsPath = join(dir, `${family}.labels.ndjson`);
  const sim = simulateStorage(opts, family, logPath);
  const chunks: string[] = [];
  for (const l of sim.lines) chunks.push(renderStorageLine(l, family));
  writeFileSync(logPath, chunks.join('\n') + '\n');
  writeFileSync(labelsPath, serializeLabels({ header: sim.header, scenarios: sim.scenarios }));
  return { logPath, labelsPath, simulation: sim };
}
