// media-enumeration: predictable media names walked in order — telehealth recordings served as
// files (`session-0001.mp4`, `-0002`…, `visit-000123.mp4`). Media is NOT treated as static here:
// a recording is a patient record.
//
// Fires when a principal fetched at least minFiles distinct files on one recording route whose
// numbers form a near-sequential run (step <= maxGap). Lower bar than sequential-enumeration:
// a handful of someone else's visit recordings is already a breach.

import { entityKey } from '#shared/principal.js';
import { NO_FINDINGS, newIdByPrincipal } from './define.js';
import { sampleEvents } from './explain.js';
import { runToJudge } from './sequential-enumeration.js';
import type { Finding, RouteIdsView, Rule, Severity } from './types.js';

export interface MediaEnumerationConfig {
  minFiles: number;
  maxGap: number;
  kinds: readonly string[];
  severity: Severity;
  criticalFiles: number;
}

export const MEDIA_ENUMERATION_DEFAULTS: Readonly<MediaEnumerationConfig> = Object.freeze({
  minFiles: 5,
  maxGap: 2,
  kinds: Object.freeze(['recording']),
  severity: 'high',
  criticalFiles: 20,
});

export const mediaEnumeration: Rule<MediaEnumerationConfig> = {
  ...newIdByPrincipal('media-enumeration', MEDIA_ENUMERATION_DEFAULTS),
  evaluate(w, _b, cfg): readonly Finding[] {
    // indexed: `changed` is often the shared frozen empty list (a for-of allocates on it)
    const changed = w.changed;
    for (let i = 0; i < changed.length; i++) {
      const r = changed[i] as RouteIdsView;
      if (r.resourceKind === null || !cfg.kinds.includes(r.resourceKind) || r.distinct < cfg.minFiles)
        continue;
      const run = runToJudge(r, cfg.maxGap, w.event !== null);
      if (run.length < cfg.minFiles) continue;
      const lo = r.sorted[run.from] as number;
      const hi = r.sorted[run.to] as number;
      let firstSeen = Number.POSITIVE_INFINITY;
      for (let i = 0; i < r.distinct; i++) {
        const id = r.idAt(i);
        if (id >= lo && id <= hi && r.tsAt(i) < firstSeen) firstSeen = r.tsAt(i);
      }
      return [
        {
          severity: run.length >= cfg.criticalFiles ? 'critical' : cfg.severity,
          entity: w.entity,
          feature: 'sequential_media',
          observed: run.length,
          baseline: null,
          score: run.length / cfg.minFiles,
          title: `Recordings fetched in sequence on ${r.route} by ${entityKey(w.entity)} (${run.length} files)`,
          topResources: [`${r.route} numbers ${lo}..${hi}`],
          sampleEventIds: sampleEvents(w, [r]),
          labels: { route: r.route, resource_kind: r.resourceKind },
          firstSeen,
          tenant: r.tenant,
        },
      ];
    }
    return NO_FINDINGS;
  },
};
