// id-probing: a principal requesting ids on id routes that mostly do not exist or are forbidden
// (404/403): guessing order, patient or appointment ids, or walking with the wrong credentials.
//
// Fires when, in the last window, at least minDenied requests on id routes were answered 403/404
// and they are at least minShare of its id-route requests; or, for slow guessing, when one id
// route has collected at least slowMinDenied denials at slowMinShare or more within the id horizon.

import { entityKey } from '#shared/principal.js';
import { everyEventByPrincipal, NO_FINDINGS } from './define.js';
import { sampleEvents, topRoutes } from './explain.js';
import type { Finding, RouteIdsView, Rule, Severity } from './types.js';

export interface IdProbingConfig {
  minDenied: number;
  minShare: number;
  slowMinDenied: number;
  slowMinShare: number;
  severity: Severity;
}

export const ID_PROBING_DEFAULTS: Readonly<IdProbingConfig> = Object.freeze({
  minDenied: 20,
  minShare: 0.5,
  slowMinDenied: 40,
  slowMinShare: 0.8,
  severity: 'medium',
});

export const idProbing: Rule<IdProbingConfig> = {
  ...everyEventByPrincipal('id-probing', ID_PROBING_DEFAULTS),
  evaluate(w, _b, cfg): readonly Finding[] {
    const e = w.event;
    if (e !== null && (e.resource_kind === null || (e.status !== 403 && e.status !== 404)))
      return NO_FINDINGS;
    const r = w.recent();
    let denied = r.idRouteDenied;
    let requests = r.idRouteRequests;
    const fast = denied >= cfg.minDenied && denied / requests >= cfg.minShare;
    if (!fast) {
      // slow guessing: one id route, hours of mostly denied requests
      let slow = false;
      const routes = w.routes;
      for (let i = 0; i < routes.length; i++) {
        const x = routes[i] as RouteIdsView;
        if (x.resourceKind === null || x.errors < cfg.slowMinDenied || x.errors / x.count < cfg.slowMinShare)
          continue;
        if (!slow || x.errors > denied) {
          denied = x.errors;
          requests = x.count;
        }
        slow = true;
      }
      if (!slow) return NO_FINDINGS;
    }
    const share = denied / requests;
    const deniedRoutes = w.routes.filter((x) => x.errors > 0);
    return [
      {
        severity: cfg.severity,
        entity: w.entity,
        feature: fast ? 'denied_id_requests' : 'denied_id_requests_slow',
        observed: denied,
        baseline: null,
        score: denied / (fast ? cfg.minDenied : cfg.slowMinDenied),
        title: `ID probing: ${denied} of ${requests} id requests denied (403/404) for ${entityKey(w.entity)}${fast ? '' : ' over hours'}`,
        topResources: topRoutes(
          deniedRoutes,
          (x) => x.errors,
          (x) => `${x.errors} denied`,
        ),
        sampleEventIds: sampleEvents(w, deniedRoutes),
        labels: { share: share >= 0.9 ? '>=90%' : share >= 0.75 ? '>=75%' : '>=50%' },
      },
    ];
  },
};
