// `leakwatch eval`: scores the alerts `leakwatch scan` printed for a simulated log against the
// simulation's labels.
//
// Matching: an alert matches a scenario when its rule is one of the scenario's rules, its entity
// equals one of the scenario's entities (raw → alert value: API keys and sessions as the collector
// tokenises them — `tok_<kind>_…` with the scan's redaction key —, users through redactText, IPs and
// routes as written), and its
// [first_seen, last_seen] overlaps [start_ts − 15 min, end_ts + 15 min].
// Per class: recall = detected / scenarios; median time to detect = median over detected scenarios
// of (event time of the earliest matching alert's first firing − start_ts), clamped at 0.
// False alerts: distinct alert_ids that match no scenario at all, whatever the rule (entity + time
// only), per 10,000 background lines.
//
// Alerts NDJSON: the same alert_id may appear several times (first firing, then updates with later
// last_seen). The first line of an alert_id is its detection; its last_seen is when it fired.

import { createHash } from 'node:crypto';
import { redactionKeyFromEnv } from '#shared/env.js';
import { isObject, ndjsonObjects } from '#shared/ndjson.js';
import { createRedactor, DEV_REDACTION_KEY, type Redactor } from '../collector/index.js';
import type { LabelEntity, Labels, ScenarioLabel } from '../simulate/labels.js';

export const MATCH_SLACK_MS = 15 * 60_000;
/** The collector's --dev key. */
export { DEV_REDACTION_KEY };

export class AlertsInvalid extends Error {
  override name = 'AlertsInvalid';
}

/** One alert_id, folded over its emissions. */
export interface AlertRecord {
  alert_id: string;
  rule: string;
  entity: { type: string; value: string };
  severity: string | null;
  /** Earliest first_seen over the emissions. */
  first_seen: number;
  /** Latest last_seen over the emissions. */
  last_seen: number;
  /** last_seen of the first emission: the event time at which the alert fired. */
  detected_at: number;
  emissions: number;
}

/** Redactor built from a key exactly as the collector builds it (sha256 of the key text). */
export function redactorFor(key: string = redactionKeyFromEnv() || DEV_REDACTION_KEY): Redactor {
  return createRedactor(createHash('sha256').update(key).digest());
}

/**
 * Token kinds of tokenised entity types, as normalisation writes them (`redactor.token('api_key',
 * raw)` → `tok_api_key_…`); a token of any other kind in an alert is recognised too (see evaluate).
 */
export const ENTITY_TOKEN_KINDS: Readonly<Record<string, string>> = Object.freeze({
  api_key: 'api_key',
  session: 'session',
});

/** The alert entity value normalisation derives from a raw label entity (its primary form). */
export function entityValue(e: LabelEntity, redactor: Redactor): string {
  const kind = ENTITY_TOKEN_KINDS[e.type];
  if (kind !== undefined) return redactor.token(kind, e.raw);
  if (e.type === 'user') return redactor.redactText(e.raw).text;
  return e.raw;
}

const TOKEN_RE = /^tok_([a-z0-9]+(?:_[a-z0-9]+)*)_[0-9a-f]{16}$/;

/** Parses `leakwatch scan` NDJSON output; throws AlertsInvalid naming the line. */
export function parseAlerts(text: string): AlertRecord[] {
  const byId = new Map<string, AlertRecord>();
  for (const [o, where] of ndjsonObjects(text, 'alerts', (m) => new AlertsInvalid(m))) {
    const id = o['alert_id'];
    const rule = o['rule'];
    const ent = o['entity'];
    const fs = o['first_seen'];
    const ls = o['last_seen'];
    if (typeof id !== 'string' || id === '') throw new AlertsInvalid(`${where}: "alert_id" must be a string`);
    if (typeof rule !== 'string' || rule === '') throw new AlertsInvalid(`${where}: "rule" must be a string`);
    if (!isObject(ent) || typeof ent['type'] !== 'string' || typeof ent['value'] !== 'string') {
      throw new AlertsInvalid(`${where}: "entity" must be {"type": string, "value": string}`);
    }
    if (typeof fs !== 'number' || typeof ls !== 'number' || !Number.isFinite(fs) || !Number.isFinite(ls)) {
      throw new AlertsInvalid(`${where}: "first_seen" and "last_seen" must be epoch ms numbers`);
    }
    const prev = byId.get(id);
    if (prev === undefined) {
      byId.set(id, {
        alert_id: id,
        rule,
        entity: { type: ent['type'], value: ent['value'] },
        severity: typeof o['severity'] === 'string' ? o['severity'] : null,
        first_seen: fs,
        last_seen: ls,
        detected_at: ls,
        emissions: 1,
      });
    } else {
      prev.first_seen = Math.min(prev.first_seen, fs);
      prev.last_seen = Math.max(prev.last_seen, ls);
      if (typeof o['severity'] === 'string') prev.severity = o['severity'];
      prev.emissions++;
    }
  }
  return [...byId.values()];
}

export interface ScenarioResult {
  scenario: string;
  class: string;
  intensity: string;
  platform: string;
  detected: boolean;
  /** Seconds of event time from start_ts to the first detecting alert's firing; null if missed. */
  ttd_s: number | null;
  /** Alert ids that detect it (rule in rules). */
  alert_ids: string[];
}

export interface ClassResult {
  class: string;
  scenarios: number;
  detected: number;
  recall: number;
  median_ttd_s: number | null;
}

export interface EvalReport {
  classes: ClassResult[];
  scenarios: ScenarioResult[];
  alerts: number;
  false_alerts: {
    count: number;
    per_10k_background_lines: number;
    background_lines: number;
    /** By rule id. */
    by_rule: Record<string, number>;
  };
}

export function median(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

function overlaps(a: AlertRecord, s: ScenarioLabel): boolean {
  return a.first_seen <= s.end_ts + MATCH_SLACK_MS && a.last_seen >= s.start_ts - MATCH_SLACK_MS;
}

export function evaluate(
  labels: Labels,
  alerts: readonly AlertRecord[],
  redactor: Redactor = redactorFor(),
): EvalReport {
  // entity key (type \0 value) → scenarios naming it; the raw value and its primary form
  const byEntity = new Map<string, ScenarioLabel[]>();
  const add = (type: string, value: string, s: ScenarioLabel): void => {
    const k = `${type}\0${value}`;
    let list = byEntity.get(k);
    if (list === undefined) {
      list = [];
      byEntity.set(k, list);
    }
    if (!list.includes(s)) list.push(s);
  };
  for (const s of labels.scenarios) {
    for (const e of s.entities) {
      add(e.type, e.raw, s);
      add(e.type, entityValue(e, redactor), s);
    }
  }
  // An alert value `tok_<kind>_…`: also index the label entities of that type under that kind.
  const kindsDone = new Set<string>();
  const ensureKind = (type: string, kind: string): void => {
    const k = `${type}\0${kind}`;
    if (kindsDone.has(k)) return;
    kindsDone.add(k);
    for (const s of labels.scenarios) {
      for (const e of s.entities) if (e.type === type) add(type, redactor.token(kind, e.raw), s);
    }
  };
  for (const a of alerts) {
    const m = TOKEN_RE.exec(a.entity.value);
    if (m !== null && a.entity.type !== 'route' && a.entity.type !== 'client_ip')
      ensureKind(a.entity.type, m[1] as string);
  }
  const detecting = new Map<ScenarioLabel, AlertRecord[]>();
  const falseByRule: Record<string, number> = {};
  let falseCount = 0;
  for (const a of alerts) {
    const cands = (byEntity.get(`${a.entity.type}\0${a.entity.value}`) ?? []).filter((s) => overlaps(a, s));
    if (cands.length === 0) {
      falseCount++;
      falseByRule[a.rule] = (falseByRule[a.rule] ?? 0) + 1;
      continue;
    }
    for (const s of cands) {
      if (!s.rules.includes(a.rule)) continue;
      let list = detecting.get(s);
      if (list === undefined) {
        list = [];
        detecting.set(s, list);
      }
      list.push(a);
    }
  }
  const scenarios: ScenarioResult[] = labels.scenarios.map((s) => {
    const hits = detecting.get(s) ?? [];
    const first = hits.reduce((m, a) => Math.min(m, a.detected_at), Number.POSITIVE_INFINITY);
    return {
      scenario: s.scenario,
      class: s.class,
      intensity: s.intensity,
      platform: s.platform,
      detected: hits.length > 0,
      ttd_s: hits.length > 0 ? Math.max(0, (first - s.start_ts) / 1000) : null,
      alert_ids: hits.map((a) => a.alert_id),
    };
  });
  const classOrder: string[] = [];
  for (const s of scenarios) if (!classOrder.includes(s.class)) classOrder.push(s.class);
  const classes = classOrder.map((c) => {
    const rows = scenarios.filter((s) => s.class === c);
    const det = rows.filter((s) => s.detected);
    return {
      class: c,
      scenarios: rows.length,
      detected: det.length,
      recall: rows.length === 0 ? 0 : det.length / rows.length,
      median_ttd_s: median(det.map((s) => s.ttd_s as number)),
    };
  });
  const bg = labels.header.background_lines;
  return {
    classes,
    scenarios,
    alerts: alerts.length,
    false_alerts: {
      count: falseCount,
      per_10k_background_lines: bg > 0 ? (falseCount * 10_000) / bg : 0,
      background_lines: bg,
      by_rule: falseByRule,
    },
  };
}

function fmtTtd(v: number | null): string {
  if (v === null) return '–';
  return v >= 100 ? String(Math.round(v)) : String(Math.round(v * 10) / 10);
}

/** The report as Markdown: the per-class table, the false-alert line, then what was missed. */
export function renderMarkdown(r: EvalReport, opts: { perScenario?: boolean } = {}): string {
  const out: string[] = [];
  out.push('| class | scenarios | detected | recall | median TTD (s) |');
  out.push('|---|---:|---:|---:|---:|');
  let n = 0;
  let d = 0;
  for (const c of r.classes) {
    n += c.scenarios;
    d += c.detected;
    out.push(
      `| ${c.class} | ${c.scenarios} | ${c.detected} | ${c.recall.toFixed(2)} | ${fmtTtd(c.median_ttd_s)} |`,
    );
  }
  const all = median(r.scenarios.filter((s) => s.detected).map((s) => s.ttd_s as number));
  out.push(`| **all** | ${n} | ${d} | ${(n === 0 ? 0 : d / n).toFixed(2)} | ${fmtTtd(all)} |`);
  out.push('');
  const f = r.false_alerts;
  const rules = Object.entries(f.by_rule)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  out.push(
    `False alerts (match no scenario): ${f.count} of ${r.alerts} alerts, ${f.per_10k_background_lines.toFixed(2)} per 10,000 background lines (${f.background_lines} background lines)${rules ? ` — ${rules}` : ''}`,
  );
  const missed = r.scenarios.filter((s) => !s.detected).map((s) => s.scenario);
  out.push('');
  out.push(missed.length === 0 ? 'Missed: none' : `Missed: ${missed.join(', ')}`);
  if (opts.perScenario) {
    out.push('');
    out.push('| scenario | detected | TTD (s) | alerts |');
    out.push('|---|---|---:|---:|');
    for (const s of r.scenarios) {
      out.push(
        `| ${s.scenario} | ${s.detected ? 'yes' : 'no'} | ${fmtTtd(s.ttd_s)} | ${s.alert_ids.length} |`,
      );
    }
  }
  return out.join('\n') + '\n';
}
