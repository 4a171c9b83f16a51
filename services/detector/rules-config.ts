// The rules file (rules.yaml): which detections run, their thresholds, severities and allow-lists,
// and the engine's windows and memory budget. Defaults live in each rule module; the file only
// overrides. A bad file is refused as a whole with every problem listed, never half-applied.
//
//   engine:   { windowMs, allowedLatenessMs, idHorizonMs, memoryBudgetMb }
//   allow:    [ AllowEntry, ... ]            # applies to every rule
//   rules:
//     <rule id>:
//       enabled: true
//       severity: high                       # any rule setting (see `leakwatch rules --defaults`)
//       allow: [ AllowEntry, ... ]
//
// AllowEntry: every condition given must hold (AND); entries are alternatives (OR).
//   principals: [ 'ip:10.0.0.5', 'api_key:…', 'user:backup' ]   exact entity keys, or a prefix ending in '*'
//   userAgents: [ 'Googlebot', … ]       case-insensitive substrings of the user agent
//   routes:     [ '/wp-json/wc/v3/products' ]   route template prefixes
//   publicOnly: true                      only events on routes that name no sensitive kind
//                                         (services/shared/sensitive-kinds.ts + LEAKWATCH_SENSITIVE_KINDS)

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AccessEvent } from '#shared/avro/generated/access-event.js';
import { ConfigInvalid } from '#shared/errors.js';
import { principalKey } from '#shared/principal.js';
import { sensitiveKinds } from '#shared/sensitive-kinds.js';
import { ENGINE_DEFAULTS, type EngineOptions } from './engine/engine.js';
import { defaultRules } from './rules/index.js';
import type { AnyRule } from './rules/types.js';

export interface AllowEntry {
  principals?: string[];
  userAgents?: string[];
  routes?: string[];
  publicOnly?: boolean;
}

export interface RulesSetup {
  rules: AnyRule[];
  engine: Pick<
    EngineOptions,
    'config' | 'allow' | 'windowMs' | 'allowedLatenessMs' | 'idHorizonMs' | 'maxEntities'
  >;
}

/** Estimated engine bytes per active entity, to turn a memory budget into maxEntities (see make bench). */
export const BYTES_PER_ENTITY_ESTIMATE = 2048;

/** Search-engine crawlers allowed on public pages by default. */
export const DEFAULT_ALLOW: readonly AllowEntry[] = Object.freeze([
  {
    userAgents: [
      'Googlebot',
      'bingbot',
      'DuckDuckBot',
      'YandexBot',
      'Baiduspider',
      'Applebot',
      'AhrefsBot',
      'SemrushBot',
      'GPTBot',
      'Slurp',
      'msnbot',
      'MJ12bot',
      'PetalBot',
      'Bytespider',
      'Amazonbot',
      'CCBot',
      'ClaudeBot',
      'facebookexternalhit',
      'Twitterbot',
      'Sogou',
      'Exabot',
    ],
    publicOnly: true,
  },
]);

const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'];
const ENGINE_KEYS = ['windowMs', 'allowedLatenessMs', 'idHorizonMs', 'memoryBudgetMb'] as const;
const ALLOW_KEYS = ['principals', 'userAgents', 'routes', 'publicOnly'];

function typeName(v: unknown): string {
  return Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v;
}

function checkAllow(v: unknown, where: string, problems: string[]): AllowEntry[] {
  if (!Array.isArray(v)) {
    problems.push(`${where}: must be a list of allow entries`);
    return [];
  }
  const out: AllowEntry[] = [];
  v.forEach((entry, i) => {
    const at = `${where}[${i}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      problems.push(`${at}: must be a mapping`);
      return;
    }
    const e = entry as Record<string, unknown>;
    for (const k of Object.keys(e)) if (!ALLOW_KEYS.includes(k)) problems.push(`${at}: unknown key ${k}`);
    for (const k of ['principals', 'userAgents', 'routes']) {
      const list = e[k];
      if (list === undefined) continue;
      if (!Array.isArray(list) || list.some((x) => typeof x !== 'string' || x === ''))
        problems.push(`${at}.${k}: must be a list of non-empty strings`);
    }
    if (e['publicOnly'] !== undefined && typeof e['publicOnly'] !== 'boolean')
      problems.push(`${at}.publicOnly: must be true or false`);
    if (Object.keys(e).length === 0) problems.push(`${at}: empty entry would allow everything`);
    out.push(e as AllowEntry);
  });
  return out;
}

/** One predicate for a list of allow entries. */
export function compileAllow(
  entries: readonly AllowEntry[],
  sensitive: ReadonlySet<string> = sensitiveKinds(),
): ((e: AccessEvent) => boolean) | undefined {
  if (entries.length === 0) return undefined;
  const compiled = entries.map((a) => {
    const agents = a.userAgents?.map((s) => s.toLowerCase());
    // User agents repeat endlessly: remember the verdict per agent string (bounded).
    const seen = new Map<string, boolean>();
    const agentMatches = (ua: string): boolean => {
      let v = seen.get(ua);
      if (v === undefined) {
        const lower = ua.toLowerCase();
        v = (agents as string[]).some((s) => lower.includes(s));
        if (seen.size >= 10_000) seen.clear();
        seen.set(ua, v);
      }
      return v;
    };
    const exact = new Set(a.principals?.filter((p) => !p.endsWith('*')));
    const prefixes = a.principals?.filter((p) => p.endsWith('*')).map((p) => p.slice(0, -1));
    return (e: AccessEvent): boolean => {
      if (a.publicOnly && e.resource_kind !== null && sensitive.has(e.resource_kind)) return false;
      if (agents !== undefined && (e.user_agent === null || !agentMatches(e.user_agent))) return false;
      if (a.routes !== undefined && !a.routes.some((r) => e.route.startsWith(r))) return false;
      if (a.principals !== undefined) {
        const key = principalKey(e);
        if (!exact.has(key) && !prefixes?.some((p) => key.startsWith(p))) return false;
      }
      return true;
    };
  });
  return (e) => compiled.some((f) => f(e));
}

/** Validates a parsed rules document; throws ConfigInvalid listing every problem. */
export function rulesSetupFrom(
  doc: unknown,
  source = 'rules file',
  extraSensitiveKinds: readonly string[] = [],
): RulesSetup {
  const problems: string[] = [];
  const all = defaultRules();
  const byId = new Map(all.map((r) => [r.id, r]));
  const root = (doc ?? {}) as Record<string, unknown>;
  if (typeof root !== 'object' || Array.isArray(root)) throw ConfigInvalid(`${source}: must be a mapping`);
  for (const k of Object.keys(root))
    if (!['engine', 'allow', 'rules'].includes(k)) problems.push(`unknown top-level key ${k}`);

  const engine: RulesSetup['engine'] = {};
  const eng = (root['engine'] ?? {}) as Record<string, unknown>;
  for (const [k, v] of Object.entries(eng)) {
    if (!(ENGINE_KEYS as readonly string[]).includes(k)) {
      problems.push(`engine: unknown setting ${k}`);
      continue;
    }
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
      problems.push(`engine.${k}: must be a positive number`);
      continue;
    }
    if (k === 'memoryBudgetMb')
      engine.maxEntities = Math.floor((v * 1024 * 1024) / BYTES_PER_ENTITY_ESTIMATE);
    else (engine as Record<string, number>)[k] = v;
  }

  const globalAllow =
    root['allow'] === undefined ? [...DEFAULT_ALLOW] : checkAllow(root['allow'], 'allow', problems);
  const allowEntries: Record<string, AllowEntry[]> = { '*': globalAllow };

  const config: Record<string, Record<string, unknown>> = {};
  const disabled = new Set<string>();
  const rulesDoc = root['rules'] ?? {};
  if (typeof rulesDoc !== 'object' || rulesDoc === null || Array.isArray(rulesDoc)) {
    problems.push('rules: must be a mapping of rule id to settings');
  } else {
    for (const [id, raw] of Object.entries(rulesDoc as Record<string, unknown>)) {
      const rule = byId.get(id);
      if (rule === undefined) {
        problems.push(`rules.${id}: unknown rule (known: ${[...byId.keys()].join(', ')})`);
        continue;
      }
      if (raw === null) continue;
      if (typeof raw !== 'object' || Array.isArray(raw)) {
        problems.push(`rules.${id}: must be a mapping of settings`);
        continue;
      }
      const defaults = (rule.defaults ?? {}) as Record<string, unknown>;
      const over: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        const at = `rules.${id}.${k}`;
        if (k === 'enabled') {
          if (typeof v !== 'boolean') problems.push(`${at}: must be true or false`);
          else if (!v) disabled.add(id);
          continue;
        }
        if (k === 'allow') {
          allowEntries[id] = checkAllow(v, at, problems);
          continue;
        }
        if (!(k in defaults)) {
          problems.push(
            `${at}: unknown setting (settings: enabled, allow, ${Object.keys(defaults).join(', ')})`,
          );
          continue;
        }
        const want = typeName(defaults[k]);
        if (typeName(v) !== want) {
          problems.push(`${at}: must be a ${want}, got ${typeName(v)}`);
          continue;
        }
        if (k === 'severity' && !SEVERITIES.includes(v as string)) {
          problems.push(`${at}: must be one of ${SEVERITIES.join(', ')}`);
          continue;
        }
        if (typeof v === 'number' && (!Number.isFinite(v) || v < 0)) {
          problems.push(`${at}: must be a number >= 0`);
          continue;
        }
        over[k] = v;
      }
      if (Object.keys(over).length > 0) config[id] = over;
    }
  }
  if (problems.length > 0)
    throw ConfigInvalid(`${source} has ${problems.length} problem(s):\n  - ${problems.join('\n  - ')}`);
  const rules = all.filter((r) => !disabled.has(r.id));
  // LEAKWATCH_SENSITIVE_KINDS: more kinds that are records of people (unauthenticated-sensitive's
  // apiKinds, and never "public" for allow entries).
  const sensitive = new Set(sensitiveKinds(extraSensitiveKinds));
  if (extraSensitiveKinds.length > 0) {
    const us = byId.get('unauthenticated-sensitive');
    if (us !== undefined) {
      const over = config[us.id] ?? {};
      const base = (over['apiKinds'] ?? (us.defaults as Record<string, unknown>)['apiKinds']) as string[];
      over['apiKinds'] = [...new Set([...base, ...extraSensitiveKinds])];
      config[us.id] = over;
    }
  }
  for (const k of (config['unauthenticated-sensitive']?.['apiKinds'] as string[] | undefined) ?? [])
    sensitive.add(k);
  for (const k of (config['unauthenticated-sensitive']?.['alwaysKinds'] as string[] | undefined) ?? [])
    sensitive.add(k);
  const allow: Record<string, (e: AccessEvent) => boolean> = {};
  for (const [id, entries] of Object.entries(allowEntries)) {
    const pred = compileAllow(entries, sensitive);
    if (pred && !disabled.has(id)) allow[id] = pred;
  }
  for (const id of disabled) delete config[id];
  return { rules, engine: { ...engine, config, allow } };
}

/**
 * Reads and validates a rules file; without a path, the defaults. `extraSensitiveKinds`:
 * LEAKWATCH_SENSITIVE_KINDS (config.detection.sensitiveKinds).
 */
/** The YAML library, loaded on first use: a scan without a rules file never needs it (~35 ms of start). */
const yaml = (): typeof import('yaml') => createRequire(import.meta.url)('yaml');

export function loadRulesSetup(path?: string, extraSensitiveKinds: readonly string[] = []): RulesSetup {
  if (path === undefined) return rulesSetupFrom({}, 'defaults', extraSensitiveKinds);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw ConfigInvalid(`cannot read rules file ${path}: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = yaml().parse(text);
  } catch (err) {
    throw ConfigInvalid(`rules file ${path} is not valid YAML: ${(err as Error).message}`);
  }
  return rulesSetupFrom(doc, `rules file ${path}`, extraSensitiveKinds);
}

/** Every rule's defaults, as the YAML a user would edit (`leakwatch rules --defaults`). */
export function defaultRulesYaml(): string {
  const rules: Record<string, unknown> = {};
  for (const r of defaultRules()) rules[r.id] = { enabled: true, ...(r.defaults as object) };
  return yaml().stringify({
    engine: {
      windowMs: ENGINE_DEFAULTS.windowMs,
      allowedLatenessMs: ENGINE_DEFAULTS.allowedLatenessMs,
      idHorizonMs: ENGINE_DEFAULTS.idHorizonMs,
      memoryBudgetMb: Math.round((ENGINE_DEFAULTS.maxEntities * BYTES_PER_ENTITY_ESTIMATE) / 1024 / 1024),
    },
    allow: DEFAULT_ALLOW,
    rules,
  });
}
