// Helpers the scenario modules share.
import { normalizeRoute } from '../../collector/index.js';
import { line, req, type SimLine } from '../format.js';
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

/** Who sends a request: the fields each of its lines repeats (absent ones are written `-`). */
export type Client = Pick<SimLine, 'ip'> &
  Partial<Pick<SimLine, 'user' | 'ua' | 'session' | 'referer' | 'breakGlass'>>;

const OK = (): number => 200;

/**
 * One GET at each of `times`: the i-th from `client` (or `client(i)`) for `target(i)`, answered
 * `status()` (200 unless given) with `bytes(status, i)` bytes. For each line status, then target,
 * then bytes are called, so draws from the scenario's rng come in that order.
 */
export function gets(
  times: readonly number[],
  client: Client | ((i: number) => Client),
  target: (i: number) => string,
  bytes: (status: number, i: number) => number,
  status: () => number = OK,
): SimLine[] {
  return times.map((ts, i) => {
    const from = typeof client === 'function' ? client(i) : client;
    const s = status();
    return line({ ts, ...from, request: req('GET', target(i)), status: s, bytes: bytes(s, i) });
  });
}
