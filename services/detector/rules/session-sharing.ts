// session-sharing: one session token used from many addresses or user agents at once — a stolen
// or shared login (a staff account passed around, a hijacked patient portal session).
//
// Session entities remember the client addresses and user agents of the last window. Fires when
// addresses >= minIps, or addresses >= minIpsWithAgents and user agents >= minAgents (a phone
// moving between networks changes address, not browser).

import { entityKey } from '#shared/principal.js';
import { everyEventByPrincipal, NO_FINDINGS } from './define.js';
import { eventLabels, sampleEvents } from './explain.js';
import type { Finding, Rule, Severity } from './types.js';

export interface SessionSharingConfig {
  minIps: number;
  minIpsWithAgents: number;
  minAgents: number;
  severity: Severity;
}

export const SESSION_SHARING_DEFAULTS: Readonly<SessionSharingConfig> = Object.freeze({
  minIps: 5,
  minIpsWithAgents: 3,
  minAgents: 3,
  severity: 'high',
});

export const sessionSharing: Rule<SessionSharingConfig> = {
  ...everyEventByPrincipal('session-sharing', SESSION_SHARING_DEFAULTS),
  evaluate(w, _b, cfg): readonly Finding[] {
    if (w.entity.type !== 'session') return NO_FINDINGS;
    const p = w.peers();
    const byIps = p.ips >= cfg.minIps;
    const byBoth = p.ips >= cfg.minIpsWithAgents && p.agents >= cfg.minAgents;
    if (!byIps && !byBoth) return NO_FINDINGS;
    const observed = p.ips;
    return [
      {
        severity: cfg.severity,
        entity: w.entity,
        feature: 'session_addresses',
        observed,
        baseline: null,
        score: Math.max(p.ips / cfg.minIps, byBoth ? p.agents / cfg.minAgents : 0),
        title: `Session used from ${p.ips} addresses and ${p.agents} user agents in 10 min (${entityKey(w.entity)})`,
        topResources: [`${p.ips} addresses`, `${p.agents} user agents`],
        sampleEventIds: sampleEvents(w),
        labels: eventLabels(w),
      },
    ];
  },
};
