// Engine state per active entity: heap after feeding N entities (each a short realistic session:
// a few pages, some id routes), minus the heap before, divided by N. Run with --expose-gc.
//
//   node --expose-gc dist/test/bench/engine-memory.bench.js [entities] [events-per-entity]
import { accessEventWith } from '#shared/avro/access-event-defaults.js';
import { createEngine } from '../../services/detector/engine/engine.js';
import { defaultRules } from '../../services/detector/rules/index.js';

const entities = Number(process.argv[2] ?? 100_000);
const perEntity = Number(process.argv[3] ?? 10);
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) {
  console.error('run with node --expose-gc');
  process.exit(2);
}
const ROUTES = [
  '/',
  '/shop/',
  '/product/{id}/',
  '/my-account/view-order/{id}/',
  '/wp-json/wc/v3/orders/{id}',
  '/cart/',
];
const engine = createEngine({ rules: defaultRules(), maxEntities: entities * 2 });
gc();
const before = process.memoryUsage().heapUsed;
const t0 = Date.UTC(2025, 3, 17);
let n = 0;
for (let k = 0; k < perEntity; k++) {
  for (let i = 0; i < entities; i++) {
    const route = ROUTES[(i + k) % ROUTES.length] as string;
    const hasId = route.includes('{id}');
    engine.process(
      accessEventWith({
        event_id: `e${n++}`,
        ts: t0 + k * 30_000 + (i % 1000),
        tenant: 'shop',
        client_ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
        user_agent: 'Mozilla/5.0',
        route,
        resource_id: hasId ? String(1000 + ((i * 7 + k) % 5000)) : null,
        resource_kind: hasId ? (route.includes('order') ? 'order' : 'product') : null,
        status: 200,
        bytes_out: 5_000,
      }),
    );
  }
}
gc();
const after = process.memoryUsage().heapUsed;
const held = engine.stats().entities;
console.log(
  `engine state: ${held.toLocaleString('en')} active entities after ${n.toLocaleString('en')} events, ` +
    `${Math.round((after - before) / held)} bytes per entity (heap ${((after - before) / 1e6).toFixed(1)} MB)`,
);
