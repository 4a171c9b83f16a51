// Engine state per active entity: heap plus array buffers after feeding N entities, minus before,
// divided by the entities held. Run with --expose-gc.
//
//   node --expose-gc dist/test/bench/engine-memory.bench.js [entities] [events-per-entity]
//
// Two mixes, each in a fresh engine with every default rule:
// - typical, modelled on the generated shop traffic of `leakwatch simulate` (24 h: 80% client IPs,
//   20% sessions, a median of 5 to 7 requests each, 18% of requests on routes that carry a
//   resource): 3 in 4 entities are anonymous IPs browsing pages, assets, a pagination page, a post
//   and, for one in four, an order-received page (2 to 3 routes with one id each); 1 in 4 are
//   logged-in sessions reading a few of their appointments (2 id routes, 3 ids);
// - heavy (the mix this bench used before): anonymous IPs with half of their requests on three id
//   routes, one of them the orders API answered 200, so every entity also holds an open alert.
// Events carry what the collector gives the engine: 32-hex-digit event ids (a slice of a sha256),
// and fresh strings for addresses, routes and tenants.
import { hash } from 'node:crypto';
import { accessEventWith } from '#shared/avro/access-event-defaults.js';
import type { AccessEvent } from '#shared/avro/generated/access-event.js';
import { createEngine } from '../../services/detector/engine/engine.js';
import { defaultRules } from '../../services/detector/rules/index.js';

const entities = Number(process.argv[2] ?? 100_000);
const perEntity = Number(process.argv[3] ?? 10);
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) {
  console.error('run with node --expose-gc');
  process.exit(2);
}
const T0 = Date.UTC(2025, 3, 17);

/** A copy of s that is not the literal (events bring their own strings). */
function fresh(s: string): string {
  return (s + ' ').slice(0, -1);
}

function eventId(n: number): string {
  return hash('sha256', `bench\n${n}`, 'hex').slice(0, 32);
}

type Page = { route: string; id?: number; kind?: string };

const IP_PAGES: Page[] = [
  { route: '/' },
  { route: '/wp-content/themes/storefront/style.css' },
  { route: '/shop/' },
  { route: '/wp-includes/js/jquery/jquery.min.js' },
  { route: '/product-category/supplements/' },
  { route: '/shop/page/{id}/', id: 2 },
  { route: '/product/omega-3-fish-oil/' },
  { route: '/?p={id}', id: 40, kind: 'post' },
  { route: '/product/compression-socks/' },
  { route: '/cart/' },
];
const SESSION_PAGES: Page[] = [
  { route: '/portal/' },
  { route: '/wp-json/telehealth/v1/patients/me' },
  { route: '/wp-json/telehealth/v1/appointments', kind: 'appointment' },
  { route: '/wp-json/telehealth/v1/appointments/{id}', id: 7001, kind: 'appointment' },
  { route: '/' },
  { route: '/wp-json/telehealth/v1/appointments/{id}', id: 7002, kind: 'appointment' },
  { route: '/wp-content/themes/storefront/style.css' },
  { route: '/wp-json/telehealth/v1/appointments/{id}', id: 7001, kind: 'appointment' },
  { route: '/portal/messages/' },
  { route: '/wp-json/telehealth/v1/appointments/{id}', id: 7003, kind: 'appointment' },
];

function typical(i: number, k: number, n: number): AccessEvent {
  const session = i % 4 === 3;
  let p = (session ? SESSION_PAGES : IP_PAGES)[k % 10] as Page;
  if (!session && k % 10 === 9 && i % 16 < 4)
    p = { route: '/checkout/order-received/{id}/', id: 30_000 + i, kind: 'order' };
  const id = p.id === undefined ? null : String(p.id + (session ? (i % 97) * 10 : i % 13));
  return accessEventWith({
    event_id: eventId(n),
    ts: T0 + k * 30_000 + (i % 1000),
    tenant: fresh('shop'),
    client_ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
    session_hash: session ? `tok_session_${(i * 2654435761).toString(16).padStart(16, '0')}` : null,
    authenticated: session,
    user_agent: fresh('Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36'),
    route: fresh(p.route),
    resource_id: id,
    resource_kind: p.kind === undefined ? null : fresh(p.kind),
    status: 200,
    bytes_out: p.route.endsWith('.js') || p.route.endsWith('.css') ? 0 : 14_000,
  });
}

const HEAVY_ROUTES = [
  '/',
  '/shop/',
  '/product/{id}/',
  '/my-account/view-order/{id}/',
  '/wp-json/wc/v3/orders/{id}',
  '/cart/',
];

function heavy(i: number, k: number, n: number): AccessEvent {
  const route = HEAVY_ROUTES[(i + k) % HEAVY_ROUTES.length] as string;
  const hasId = route.includes('{id}');
  return accessEventWith({
    event_id: eventId(n),
    ts: T0 + k * 30_000 + (i % 1000),
    tenant: fresh('shop'),
    client_ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
    user_agent: fresh('Mozilla/5.0'),
    route: fresh(route),
    resource_id: hasId ? String(1000 + ((i * 7 + k) % 5000)) : null,
    resource_kind: hasId ? fresh(route.includes('order') ? 'order' : 'product') : null,
    status: 200,
    bytes_out: 5_000,
  });
}

function used(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

function measure(name: string, make: (i: number, k: number, n: number) => AccessEvent): void {
  let engine: ReturnType<typeof createEngine> | null = createEngine({
    rules: defaultRules(),
    maxEntities: entities * 2,
  });
  gc?.();
  const before = used();
  let n = 0;
  let alerts = 0;
  for (let k = 0; k < perEntity; k++) {
    for (let i = 0; i < entities; i++) alerts += engine.process(make(i, k, n++)).length;
  }
  gc?.();
  const after = used();
  const s = engine.stats();
  console.log(
    `engine state, ${name}: ${Math.round((after - before) / s.entities)} bytes per active entity ` +
      `(heap + array buffers ${((after - before) / 1e6).toFixed(1)} MB, ${s.entities.toLocaleString('en')} entities, ` +
      `${n.toLocaleString('en')} events, ${s.alertsOpened.toLocaleString('en')} alerts open, ${alerts.toLocaleString('en')} emitted)`,
  );
  engine = null;
}

measure(`typical (75% IPs, 25% sessions; ${perEntity} requests, 2-3 id routes each)`, typical);
measure(`heavy (IPs, half the requests on 3 id routes, ~5 ids, one open alert each)`, heavy);
