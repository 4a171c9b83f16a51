// The fields most rules share: the entity they are keyed by and when the engine runs them. A rule
// spreads one of these into its definition and adds its own `evaluate`; route-keyed rules
// (distributed-enumeration) spell their fields out.
import type { Finding, Rule } from './types.js';

/** What a rule returns when it finds nothing (most evaluations): one shared empty list, not a new one. */
export const NO_FINDINGS: readonly Finding[] = Object.freeze([]);

type RuleFields<C> = Omit<Rule<C>, 'evaluate'>;

/** Keyed by the event's principal, evaluated after every event. */
export function everyEventByPrincipal<C>(id: string, defaults: C): RuleFields<C> {
  return { id, keyBy: 'principal', trigger: 'every-event', defaults };
}

/** Keyed by the event's principal, evaluated after an event that stored a new distinct resource id. */
export function newIdByPrincipal<C>(id: string, defaults: C): RuleFields<C> {
  return { id, keyBy: 'principal', trigger: 'new-id', defaults };
}
