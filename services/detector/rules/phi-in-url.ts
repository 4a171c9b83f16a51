// phi-in-url: PHI/PII in request URLs (query strings or paths) — SSN, date of birth, MRN,
// ICD-10, e-mail, phone, card number. The collector found and tokenised them (findings
// `phi_in_url:<kind>`); here each principal sending them raises one alert per window, updated as
// more arrive. URLs end up in access logs, proxies, analytics and referers: every hit is a leak.

import { entityKey } from '#shared/principal.js';
import { everyEventByPrincipal, NO_FINDINGS } from './define.js';
import { eventLabels, sampleEvents } from './explain.js';
import type { Finding, Rule, Severity } from './types.js';

export interface PhiInUrlConfig {
  minEvents: number;
  /** Finding kinds that count (after `phi_in_url:`); empty = all. */
  kinds: readonly string[];
  severity: Severity;
  /** Kinds whose presence makes the alert critical. */
  criticalKinds: readonly string[];
}

export const PHI_IN_URL_DEFAULTS: Readonly<PhiInUrlConfig> = Object.freeze({
  minEvents: 1,
  kinds: Object.freeze([]),
  severity: 'high',
  criticalKinds: Object.freeze(['ssn', 'card', 'mrn', 'icd10']),
});

const PREFIX = 'phi_in_url:';

export const phiInUrl: Rule<PhiInUrlConfig> = {
  ...everyEventByPrincipal('phi-in-url', PHI_IN_URL_DEFAULTS),
  evaluate(w, _b, cfg): readonly Finding[] {
    const e = w.event;
    if (e === null || e.findings.length === 0) return NO_FINDINGS;
    const kinds: string[] = [];
    for (const f of e.findings) {
      if (!f.startsWith(PREFIX)) continue;
      const k = f.slice(PREFIX.length);
      if ((cfg.kinds.length === 0 || cfg.kinds.includes(k)) && !kinds.includes(k)) kinds.push(k);
    }
    if (kinds.length === 0) return NO_FINDINGS;
    const observed = w.recent().phi;
    if (observed < cfg.minEvents) return NO_FINDINGS;
    kinds.sort();
    return [
      {
        severity: kinds.some((k) => cfg.criticalKinds.includes(k)) ? 'critical' : cfg.severity,
        entity: w.entity,
        feature: 'phi_in_url',
        observed,
        baseline: null,
        score: observed / cfg.minEvents,
        title: `PHI in URL (${kinds.join(', ')}) on ${e.route} from ${entityKey(w.entity)}`,
        topResources: [e.route],
        sampleEventIds: sampleEvents(w, []),
        labels: { ...eventLabels(w), phi_kinds: kinds.join(',') },
      },
    ];
  },
};
