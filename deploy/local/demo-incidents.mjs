#!/usr/bin/env node
// make demo: waits until the incident grouper has caught up (the incident list stops changing),
// prints the incidents with their clocks and affected counts, and writes what `leakwatch eval
// --incidents` scores (incident_id, entities, disclosed records) to the file named by argv[3].
//   node demo-incidents.mjs API_URL OUT_JSON   (token in API_TOKEN)
import { writeFileSync } from 'node:fs';

const [api, out] = process.argv.slice(2);
const token = process.env.API_TOKEN;
if (!api || !out || !token) {
  console.error('usage: API_TOKEN=... node demo-incidents.mjs API_URL OUT_JSON');
  process.exit(2);
}
const headers = { authorization: `Bearer ${token}` };

async function get(path) {
  const res = await fetch(`${api}${path}`, { headers, signal: AbortSignal.timeout(30_000) });
  if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

async function allIncidents() {
  const all = [];
  let cursor = null;
  do {
    const page = await get(`/api/v1/incidents?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    all.push(...page.incidents);
    cursor = page.next_cursor;
  } while (cursor);
  return all;
}

// Caught up when the incidents (and their alert counts) have not changed for 10 s.
const deadline = Date.now() + 120_000;
let incidents = [];
let last = '';
let stableSince = Date.now();
while (Date.now() < deadline) {
  incidents = await allIncidents().catch(() => []);
  const now = JSON.stringify(incidents.map((i) => [i.incident_id, i.alert_count, i.last_seen]));
  if (now !== last) {
    last = now;
    stableSince = Date.now();
  } else if (incidents.length > 0 && Date.now() - stableSince >= 10_000) break;
  await new Promise((r) => setTimeout(r, 2000));
}
if (incidents.length === 0) {
  console.error('no incident appeared within 120 s (is `leakwatch incidents` running? see its log)');
  process.exit(1);
}

const scored = [];
for (const i of incidents) {
  const a = await get(`/api/v1/incidents/${i.incident_id}/affected`);
  i.affected_count = a.records;
  i.subjects = a.subjects;
  scored.push({
    incident_id: i.incident_id,
    entities: i.entities,
    actor: i.actor,
    disclosed: a.disclosed.map((d) => ({ resource_kind: d.resource_kind, resource_id: d.resource_id })),
  });
}
writeFileSync(out, JSON.stringify(scored));

const alerts = incidents.reduce((n, i) => n + i.alert_count, 0);
const hms = (s) => {
  const neg = s < 0;
  const a = Math.abs(s);
  return `${neg ? '-' : ''}${Math.floor(a / 3600)}h${String(Math.floor((a % 3600) / 60)).padStart(2, '0')}m`;
};
console.log(`\n${incidents.length} incident(s) group ${alerts} alert(s). By risk:\n`);
console.log('  risk   severity  status  alerts  affected  subjects  clock left  actor → rules');
for (const i of [...incidents].sort((a, b) => b.risk_score - a.risk_score)) {
  const d = i.deadlines[0];
  const actor = `${i.actor.type}:${i.actor.value}`;
  console.log(
    `  ${i.risk_score.toFixed(0).padStart(5)}  ${i.severity.padEnd(8)}  ${i.status.padEnd(6)}  ${String(i.alert_count).padStart(6)}` +
      `  ${String(i.affected_count).padStart(8)}  ${String(i.subjects).padStart(8)}  ${(d ? `${hms(d.remaining_s)} ${d.name}` : '-').padEnd(10)}` +
      `  ${actor.length > 48 ? `${actor.slice(0, 45)}...` : actor} → ${i.rules.join(', ')}`,
  );
}
