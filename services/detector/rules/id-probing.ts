// id-probing: a principal requesting ids on id routes that mostly do not exist or are forbidden
// (404/403): guessing order, patient or appointment ids, or walking with the wrong credentials.
//
// Fires when, in the last window, at least minDenied requests on id routes were answered 403/404
// and they are at least minShare of its id-route requests.

import { entityKey } from '#shared/principal.js';
import { sampleEvents, topRoutes } from './explain.js';
import type { Finding, Rule, Severity } from './types.js';

export interface IdProbingConfig {
  minDenied: number;
  minShare: number;
  severity: Severity;
}

export const ID_PROBING_DEFAULTS: Readonly<IdProbingConfig> = Object.freeze({
  minDenied: 20,
  minShare: 0.5,
  severity: 'medium',
});

export const idProbing: Rule<IdProbingConfig> = {
  id: 'id-probing',
  keyBy: 'principal',
  trigger: 'every-event',
  defaults: ID_PROBING_DEFAULTS,
  evaluate(w, _b, cfg): Finding[] {
    const e = w.event;
    if (e !== null && (e.resource_kind === null || (e.status !== 403 && e.status !== 404))) return [];
    const r = w.recent();
    if (r.idRouteDenied < cfg.minDenied) return [];
    const share = r.idRouteDenied / r.idRouteRequests;
    if (share < cfg.minShare) return [];
    const denied = w.routes.filter((x) => x.errors > 0);
    return [
      {
        severity: cfg.severity,
        entity: w.entity,
        feature: 'denied_id_requests',
        observed: r.idRouteDenied,
        baseline: null,
        score: r.idRouteDenied / cfg.minDenied,
        title: `ID probing: ${r.idRouteDenied} of ${r.idRouteRequests} id requests denied (403/404) for ${entityKey(w.entity)}`,
        topResources: topRoutes(
          denied,
          (x) => x.errors,
          (x) => `${x.errors} denied`,
        ),
        sampleEventIds: sampleEvents(w, denied),
        labels: { share: share >= 0.9 ? '>=90%' : share >= 0.75 ? '>=75%' : '>=50%' },
      },
    ];
  },
};
