// The labels file written next to the simulated log (NDJSON): a header line, then one line per
// scenario. `leakwatch eval` reads it back with parseLabels().
//
//   {"kind":"header","log_format":…,"background_lines":N,"total_lines":N,"seed":S,"scan_hint":"leakwatch scan …", …}
//   {"scenario":"sequential-enumeration/fast/woo","class":"sequential-enumeration","intensity":"fast",
//    "platform":"woocommerce","rules":["sequential-enumeration"],"entities":[{"type":"api_key","raw":"ck_…"}, …],
//    "start_ts":…,"end_ts":…,"lines":N,"description":"…"}

import { isObject, ndjsonObjects } from '#shared/ndjson.js';
import type { EntityType, LabelEntity } from './scenarios/types.js';

export type { EntityType, LabelEntity };

export interface LabelsHeader {
  kind: 'header';
  log_format: string;
  /** Lines that belong to no scenario's attack (background plus generated entity history). */
  background_lines: number;
  total_lines: number;
  seed: number;
  scan_hint: string;
  /** Simulated span, epoch ms. */
  start_ts?: number;
  end_ts?: number;
  /** --background file, when one was used. */
  background?: string | null;
  tenant?: string | null;
}

export interface ScenarioLabel {
  scenario: string;
  class: string;
  intensity: string;
  platform: string;
  /** Rule ids whose alerts detect this scenario (the class id first). */
  rules: string[];
  entities: LabelEntity[];
  /** First and last attack line, epoch ms (whole seconds, as logged). */
  start_ts: number;
  end_ts: number;
  lines: number;
  description: string;
  tenant?: string | null;
}

export interface Labels {
  header: LabelsHeader;
  scenarios: ScenarioLabel[];
}

export class LabelsInvalid extends Error {
  override name = 'LabelsInvalid';
}

const ENTITY_TYPES: ReadonlySet<string> = new Set<EntityType>([
  'client_ip',
  'user',
  'api_key',
  'session',
  'route',
]);

export function serializeLabels(l: Labels): string {
  return [l.header, ...l.scenarios].map((x) => JSON.stringify(x)).join('\n') + '\n';
}

function num(o: Record<string, unknown>, k: string, where: string): number {
  const v = o[k];
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new LabelsInvalid(`${where}: "${k}" must be a number`);
  return v;
}

function str(o: Record<string, unknown>, k: string, where: string): string {
  const v = o[k];
  if (typeof v !== 'string' || v === '')
    throw new LabelsInvalid(`${where}: "${k}" must be a non-empty string`);
  return v;
}

/** Parses and validates a labels file; throws LabelsInvalid naming the line. */
export function parseLabels(text: string): Labels {
  let header: LabelsHeader | undefined;
  const scenarios: ScenarioLabel[] = [];
  for (const [o, where] of ndjsonObjects(text, 'labels', (m) => new LabelsInvalid(m))) {
    if (o['kind'] === 'header') {
      if (header !== undefined) throw new LabelsInvalid(`${where}: second header`);
      header = {
        ...(o as object),
        kind: 'header',
        log_format: typeof o['log_format'] === 'string' ? o['log_format'] : '',
        background_lines: num(o, 'background_lines', where),
        total_lines: num(o, 'total_lines', where),
        seed: typeof o['seed'] === 'number' ? o['seed'] : 0,
        scan_hint: typeof o['scan_hint'] === 'string' ? o['scan_hint'] : '',
      };
      continue;
    }
    if (header === undefined)
      throw new LabelsInvalid(`${where}: the first line must be the header ({"kind":"header",…})`);
    const rules = o['rules'];
    if (!Array.isArray(rules) || rules.length === 0 || !rules.every((r) => typeof r === 'string')) {
      throw new LabelsInvalid(`${where}: "rules" must be a non-empty array of rule ids`);
    }
    const ents = o['entities'];
    if (!Array.isArray(ents) || ents.length === 0)
      throw new LabelsInvalid(`${where}: "entities" must be a non-empty array`);
    const entities: LabelEntity[] = ents.map((e, k) => {
      if (
        !isObject(e) ||
        typeof e['type'] !== 'string' ||
        !ENTITY_TYPES.has(e['type']) ||
        typeof e['raw'] !== 'string'
      ) {
        throw new LabelsInvalid(
          `${where}: entities[${k}] must be {"type": ${[...ENTITY_TYPES].join('|')}, "raw": string}`,
        );
      }
      return { type: e['type'] as EntityType, raw: e['raw'] };
    });
    const start = num(o, 'start_ts', where);
    const end = num(o, 'end_ts', where);
    if (end < start) throw new LabelsInvalid(`${where}: end_ts before start_ts`);
    scenarios.push({
      scenario: str(o, 'scenario', where),
      class: str(o, 'class', where),
      intensity: typeof o['intensity'] === 'string' ? o['intensity'] : '',
      platform: typeof o['platform'] === 'string' ? o['platform'] : '',
      rules: rules as string[],
      entities,
      start_ts: start,
      end_ts: end,
      lines: typeof o['lines'] === 'number' ? o['lines'] : 0,
      description: typeof o['description'] === 'string' ? o['description'] : '',
      tenant: typeof o['tenant'] === 'string' ? o['tenant'] : null,
    });
  }
  if (header === undefined) throw new LabelsInvalid('labels: no header line (is this a labels file?)');
  return { header, scenarios };
}
