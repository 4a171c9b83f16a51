// Scores incidents and their affected records against a simulation (`make demo` prints it):
//  - grouping: incidents per attack scenario, over scenarios whose attack comes from one actor;
//    scenarios attacked from many actors by design (distributed-enumeration) are counted apart
//    (incidents per such attack), as are incidents keyed by a route; incidents matching no scenario
//    are false incidents;
//  - affected records: for every single-actor enumeration or egress scenario, recall of the records
//    the attacker was served (2xx events with a resource, by the scenario's actor, during the
//    attack) among those its incidents list as disclosed, and precision of that list against what
//    any attacker matched by those incidents was served (an incident of one exposed route holds
//    every attack on it); computed from the simulated log parsed with the same redaction key
//    (`leakwatch parse`).
// An incident matches a scenario when one of its actors (entity type and value) is one of the
// scenario's entities, mapped as eval maps alert entities (tokens for API keys and sessions).
import type { AccessEvent } from '#shared/avro/generated/access-event.js';
import type { Redactor } from '../collector/index.js';
import type { Labels, ScenarioLabel } from '../simulate/labels.js';
import { entityValue } from './eval.js';

/** Enumeration and egress: the classes whose incidents must list the attacker's records (scored). */
export const AFFECTED_CLASSES: ReadonlySet<string> = new Set([
  'egress',
  'sequential-enumeration',
  'distinct-resource-burst',
  'media-enumeration',
  'id-probing',
]);
/** Attacks spread over many actors by design; so is any scenario whose labels name several actors. */
export const MULTI_ACTOR_CLASSES: ReadonlySet<string> = new Set(['distributed-enumeration']);

export function isMultiActor(s: ScenarioLabel): boolean {
  return MULTI_ACTOR_CLASSES.has(s.class) || s.entities.filter((e) => e.type !== 'route').length > 1;
}

export interface IncidentInput {
  incident_id: string;
  /** The incident's actors (alert entities). */
  entities: { type: string; value: string }[];
  /** What opened it (the API's `actor`): a route for route-keyed incidents. */
  actor?: { type: string; value: string };
  /** Disclosed records, `resource_kind` + `resource_id`. */
  disclosed: { resource_kind: string; resource_id: string }[];
}

export interface ScenarioIncidents {
  scenario: string;
  class: string;
  incidents: number;
  /** Enumeration and egress: scored against the targets; others shown for information. */
  scored: boolean;
  /** null where the attacker was served no identifiable record. */
  precision: number | null;
  recall: number | null;
  truth: number;
  listed: number;
}

export interface IncidentReport {
  incidents: number;
  singleActorScenarios: number;
  incidentsOnSingleActor: number;
  incidentsPerAttack: number;
  /** Route-actor incidents and the multi-actor scenarios, apart. */
  routeIncidents: number;
  multiActorScenarios: number;
  /** Incidents matching many-actor scenarios (by an actor's address or by the route). */
  incidentsOnMultiActor: number;
  falseIncidents: number;
  minPrecision: number | null;
  minRecall: number | null;
  scenarios: ScenarioIncidents[];
}

const PRINCIPAL_FIELD: Readonly<Record<string, keyof AccessEvent>> = {
  client_ip: 'client_ip',
  user: 'user_id',
  api_key: 'api_key_id',
  session: 'session_hash',
};

const rec = (kind: string | null, id: string) => `${kind ?? ''}\u0000${id}`;

function actorsOf(s: ScenarioLabel, redactor: Redactor): { type: string; value: string }[] {
  return s.entities
    .filter((e) => e.type !== 'route')
    .map((e) => ({ type: e.type, value: entityValue(e, redactor) }));
}

/** Records the scenario's actors were served (2xx, with a resource) during the attack. */
export function servedRecords(
  s: ScenarioLabel,
  events: readonly AccessEvent[],
  redactor: Redactor,
): Set<string> {
  const actors = actorsOf(s, redactor);
  const out = new Set<string>();
  for (const e of events) {
    if (e.resource_id === null || e.status === null || e.status < 200 || e.status > 299) continue;
    if (e.ts < s.start_ts || e.ts > s.end_ts + 999) continue;
    if (actors.some((a) => PRINCIPAL_FIELD[a.type] !== undefined && e[PRINCIPAL_FIELD[a.type]!] === a.value))
      out.add(rec(e.resource_kind, e.resource_id));
  }
  return out;
}

export function evaluateIncidents(
  labels: Labels,
  incidents: readonly IncidentInput[],
  events: readonly AccessEvent[],
  redactor: Redactor,
): IncidentReport {
  const key = (t: string, v: string) => `${t}\u0000${v}`;
  const matched = new Set<string>();
  const scenarios: ScenarioIncidents[] = [];
  let single = 0;
  let onSingle = 0;
  let multi = 0;
  const onMulti = new Set<string>();
  const precisions: number[] = [];
  const recalls: number[] = [];
  // Which scenarios each incident matches (by an actor's entity or the scenario's route), and what
  // each scenario's actors were served: an incident that holds two attacks (two walkers of one
  // exposed route) rightly lists both attacks' records, so precision counts a listed record as right
  // when any attacker of the incident was served it; recall stays per scenario.
  const truthOf = new Map<string, Set<string>>();
  const truth = (s: ScenarioLabel) => {
    let t = truthOf.get(s.scenario);
    if (t === undefined) {
      t = servedRecords(s, events, redactor);
      truthOf.set(s.scenario, t);
    }
    return t;
  };
  const scenariosOf = new Map<string, ScenarioLabel[]>();
  for (const s of labels.scenarios) {
    const keys = new Set([
      ...actorsOf(s, redactor).map((a) => key(a.type, a.value)),
      ...s.entities.filter((e) => e.type === 'route').map((e) => key('route', e.raw)),
    ]);
    for (const i of incidents)
      if (i.entities.some((e) => keys.has(key(e.type, e.value)))) {
        const list = scenariosOf.get(i.incident_id);
        if (list) list.push(s);
        else scenariosOf.set(i.incident_id, [s]);
      }
  }
  for (const s of labels.scenarios) {
    const actorKeys = new Set(actorsOf(s, redactor).map((a) => key(a.type, a.value)));
    const routeKeys = new Set(s.entities.filter((e) => e.type === 'route').map((e) => key('route', e.raw)));
    const mine = incidents.filter((i) => i.entities.some((e) => actorKeys.has(key(e.type, e.value))));
    for (const i of incidents)
      if (i.entities.some((e) => actorKeys.has(key(e.type, e.value)) || routeKeys.has(key(e.type, e.value))))
        matched.add(i.incident_id);
    if (isMultiActor(s)) {
      multi++;
      for (const i of incidents)
        if (
          i.entities.some((e) => actorKeys.has(key(e.type, e.value)) || routeKeys.has(key(e.type, e.value)))
        )
          onMulti.add(i.incident_id);
      continue;
    }
    single++;
    onSingle += mine.length;
    let precision: number | null = null;
    let recall: number | null = null;
    let truthSize = 0;
    let listedSize = 0;
    const scored = AFFECTED_CLASSES.has(s.class);
    {
      const own = truth(s);
      const anyAttacker = new Set(
        mine.flatMap((i) => (scenariosOf.get(i.incident_id) ?? []).flatMap((t) => [...truth(t)])),
      );
      const listed = new Set(
        mine.flatMap((i) => i.disclosed.map((d) => rec(d.resource_kind, d.resource_id))),
      );
      truthSize = own.size;
      listedSize = listed.size;
      if (own.size > 0) {
        let hit = 0;
        let right = 0;
        for (const r of listed) {
          if (own.has(r)) hit++;
          if (anyAttacker.has(r)) right++;
        }
        precision = listed.size === 0 ? 0 : right / listed.size;
        recall = hit / own.size;
        if (scored) {
          precisions.push(precision);
          recalls.push(recall);
        }
      }
    }
    scenarios.push({
      scenario: s.scenario,
      class: s.class,
      incidents: mine.length,
      scored,
      precision,
      recall,
      truth: truthSize,
      listed: listedSize,
    });
  }
  const routeIncidents = incidents.filter((i) =>
    i.actor ? i.actor.type === 'route' : i.entities.every((e) => e.type === 'route'),
  ).length;
  return {
    incidents: incidents.length,
    singleActorScenarios: single,
    incidentsOnSingleActor: onSingle,
    incidentsPerAttack: single === 0 ? 0 : onSingle / single,
    routeIncidents,
    multiActorScenarios: multi,
    incidentsOnMultiActor: onMulti.size,
    falseIncidents: incidents.filter((i) => !matched.has(i.incident_id)).length,
    minPrecision: precisions.length ? Math.min(...precisions) : null,
    minRecall: recalls.length ? Math.min(...recalls) : null,
    scenarios,
  };
}

const pct = (v: number | null) => (v === null ? '–' : v.toFixed(2));

export function renderIncidentReport(r: IncidentReport): string {
  const lines = [
    `incidents: ${r.incidents}; ${r.incidentsOnSingleActor} on ${r.singleActorScenarios} single-actor scenarios = ${r.incidentsPerAttack.toFixed(2)} per attack (target <= 1.2)`,
    `apart: ${r.multiActorScenarios} many-actor scenario(s) (attacked from many addresses by design): ${r.incidentsOnMultiActor} incident(s)${r.multiActorScenarios ? ` = ${(r.incidentsOnMultiActor / r.multiActorScenarios).toFixed(2)} per attack` : ''}; ${r.routeIncidents} incident(s) in all keyed by a route; ${r.falseIncidents} incident(s) match no scenario`,
    `affected records (enumeration and egress scenarios, marked *): min precision ${pct(r.minPrecision)}, min recall ${pct(r.minRecall)} (target >= 0.95)`,
    '',
    '| scenario | incidents | served | listed | precision | recall |',
    '|---|---:|---:|---:|---:|---:|',
    ...r.scenarios.map(
      (s) =>
        `| ${s.scenario}${s.scored ? ' *' : ''} | ${s.incidents} | ${s.truth} | ${s.listed} | ${pct(s.precision)} | ${pct(s.recall)} |`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}
