// Engine throughput, one core, no I/O in the timed loop.
//
//   npx tsc -p . && node dist/test/bench/engine.bench.js [events.ndjson] [events] [memory]
//
// With an NDJSON file of AccessEvents (the collector bench writes one with --out) its events are
// replayed, shifted forward in time on each repetition, to `events` (default 300000). Without a
// file, a synthetic mix: 2000 IPs browsing 300 routes (a third with ids), plus 20 IPs walking
// order ids sequentially. flushIdle runs every 10000 events, as the detector would per batch.
// With `memory`, the engine learns baselines in a MemoryBaselineStore, as `leakwatch scan` does
// (without it, no baseline store: the rules and window state alone).
import { readFileSync } from 'node:fs';
import { accessEventWith } from '#shared/avro/access-event-defaults.js';
import type { AccessEvent } from '#shared/avro/generated/access-event.js';
import { MemoryBaselineStore } from '../../services/detector/baselines/memory-store.js';
import { createEngine } from '../../services/detector/engine/engine.js';
import { defaultRules } from '../../services/detector/rules/index.js';

const file = process.argv[2] && process.argv[2] !== '-' ? process.argv[2] : undefined;
const total = Number(process.argv[3] ?? 300_000);
const learn = process.argv[4] === 'memory';

function synthetic(n: number): AccessEvent[] {
  const out: AccessEvent[] = [];
  let seed = 1;
  const rnd = (k: number) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % k;
  };
  const t0 = Date.UTC(2025, 3, 17);
  const walkers = Array.from({ length: 20 }, (_, i) => ({ ip: `203.0.113.${i}`, next: 1000 * i }));
  for (let i = 0; i < n; i++) {
    const ts = t0 + Math.floor(i / 50) * 1000; // 50 events/s of event time
    let ip: string;
    let route: string;
    let id: string | null = null;
    if (i % 25 === 0) {
      const w = walkers[rnd(walkers.length)] as { ip: string; next: number };
      ip = w.ip;
      route = '/wp-json/wc/v3/orders/{id}';
      id = String(w.next++);
    } else {
      ip = `198.51.${rnd(8)}.${rnd(250)}`;
      const r = rnd(300);
      route = r % 3 === 0 ? `/api/r${r}/{id}` : `/page/r${r}`;
      if (r % 3 === 0) id = String(rnd(100_000));
    }
    out.push(
      accessEventWith({
        event_id: `e${i}`,
        ts,
        source: 'bench',
        tenant: 't',
        client_ip: ip,
        route,
        resource_id: id,
        resource_kind: id === null ? null : 'order',
        bytes_out: 1000,
      }),
    );
  }
  return out;
}

function fromFile(path: string, n: number): AccessEvent[] {
  const base = readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as AccessEvent);
  const span =
    base.reduce((m, e) => Math.max(m, e.ts), 0) - base.reduce((m, e) => Math.min(m, e.ts), Infinity);
  const out: AccessEvent[] = [];
  for (let rep = 0; out.length < n; rep++) {
    for (const e of base) {
      if (out.length >= n) break;
      out.push({ ...e, ts: e.ts + rep * (span + 3_600_000), event_id: `${e.event_id}-${rep}` });
    }
  }
  return out;
}

const events = file ? fromFile(file, total) : synthetic(total);
console.log(`${file ?? 'synthetic'}: ${events.length} events, node ${process.version}`);

const runs: number[] = [];
let alerts = 0;
let stats = '';
for (let r = 0; r < 6; r++) {
  const engine = createEngine({
    rules: defaultRules(),
    ...(learn ? { baselines: new MemoryBaselineStore() } : {}),
  });
  const t0 = process.hrtime.bigint();
  let a = 0;
  for (let i = 0; i < events.length; i++) {
    a += engine.process(events[i] as AccessEvent).length;
    if (i % 10_000 === 9_999) engine.flushIdle((events[i] as AccessEvent).ts);
  }
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r > 0) runs.push(s); // first run is warm-up
  alerts = a;
  stats = JSON.stringify(engine.stats());
}
runs.sort((x, y) => x - y);
const med = runs[2] as number;
console.log(
  `engine.process: ${Math.round(events.length / med).toLocaleString('en')} events/s (median of 5 runs)`,
);
console.log(`alerts emitted per run: ${alerts}; stats ${stats}`);
