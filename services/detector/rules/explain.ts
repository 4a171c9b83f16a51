// Small helpers rules share to explain a finding from window state (redacted fields only).
import type { RouteIdsView, WindowView } from './types.js';

export const MAX_SAMPLES = 10;

/** The `n` routes with the highest score, as `route (label)` strings. */
export function topRoutes(
  routes: readonly RouteIdsView[],
  score: (r: RouteIdsView) => number,
  label: (r: RouteIdsView) => string,
  n = 3,
): string[] {
  return routes
    .filter((r) => score(r) > 0)
    .sort((a, b) => score(b) - score(a))
    .slice(0, n)
    .map((r) => `${r.route} (${label(r)})`);
}

/** Up to MAX_SAMPLES event ids: the current event first, then the newest ids of the given routes. */
export function sampleEvents(w: WindowView, routes: readonly RouteIdsView[] = w.routes): string[] {
  const out: string[] = [];
  if (w.event !== null) out.push(w.event.event_id);
  for (const r of routes) {
    for (let i = r.distinct - 1; i >= 0 && out.length < MAX_SAMPLES; i--) {
      const id = r.eventIdAt(i);
      if (!out.includes(id)) out.push(id);
    }
    if (out.length >= MAX_SAMPLES) break;
  }
  return out;
}

/** Bounded alert labels: the route and kind of the current event when there is one. */
export function eventLabels(w: WindowView): Record<string, string> {
  const labels: Record<string, string> = {};
  const e = w.event;
  if (e !== null) {
    labels['route'] = e.route;
    if (e.resource_kind !== null) labels['resource_kind'] = e.resource_kind;
  }
  return labels;
}

/** `1.2 MB` style sizes for titles. */
export function humanBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v >= 10 || u === 0 ? Math.round(v) : v.toFixed(1)} ${units[u]}`;
}
