// Helpers the scenario modules share.
import { normalizeRoute } from '../../collector/index.js';
import type { LabelEntity } from './types.js';

/** The route template normalisation derives for a target (`/wp-json/wc/v3/orders/{id}`). */
export function routeOf(target: string): string {
  return normalizeRoute(target).route;
}

export function routeEntity(target: string): LabelEntity {
  return { type: 'route', raw: routeOf(target) };
}

export function ipEntities(ips: readonly string[]): LabelEntity[] {
  return ips.map((raw) => ({ type: 'client_ip', raw }));
}
