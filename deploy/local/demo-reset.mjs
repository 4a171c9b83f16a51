#!/usr/bin/env node
// Clears what an earlier `make demo` left, so each demo starts from empty topics and tables: the
// simulation replays the same hours of event time, and a detector that has already seen later
// events would (rightly) count a replay of earlier ones as late.
//   DEMO_GROUPS="g1 g2" node demo-reset.mjs BROKERS CLICKHOUSE_URL DATABASE TOPIC...
// (the demo's services must be stopped: a group with members cannot be deleted)
import { createClient } from '@clickhouse/client';
import { Kafka, logLevel } from 'kafkajs';

const [brokers, chUrl, database, ...topics] = process.argv.slice(2);
if (!brokers || !chUrl || !database || topics.length === 0) {
  console.error('usage: demo-reset.mjs BROKERS CLICKHOUSE_URL DATABASE TOPIC...');
  process.exit(64);
}
if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(database)) {
  console.error(`demo-reset: not a database name: ${database}`);
  process.exit(64);
}

const admin = new Kafka({ clientId: 'leakwatch-demo-reset', brokers: brokers.split(','), logLevel: logLevel.NOTHING }).admin();
await admin.connect();
try {
  const existing = new Set(await admin.listTopics());
  const doomed = topics.filter((t) => existing.has(t));
  if (doomed.length) {
    await admin.deleteTopics({ topics: doomed, timeout: 30_000 });
    // Deletion is asynchronous: wait until the names are free to be created again.
    for (let i = 0; i < 60; i++) {
      const left = new Set(await admin.listTopics());
      if (!doomed.some((t) => left.has(t))) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    console.log(`demo: deleted topics ${doomed.join(', ')}`);
  }
  const groups = (process.env.DEMO_GROUPS ?? '').split(/\s+/).filter(Boolean);
  const known = new Set((await admin.listGroups()).groups.map((g) => g.groupId));
  const stale = groups.filter((g) => known.has(g));
  if (stale.length) {
    await admin.deleteGroups(stale);
    console.log(`demo: deleted consumer groups ${stale.join(', ')}`);
  }
} finally {
  await admin.disconnect();
}

const ch = createClient({ url: chUrl });
try {
  await ch.command({ query: `DROP DATABASE IF EXISTS ${database}` });
  console.log(`demo: dropped ClickHouse database ${database}`);
} finally {
  await ch.close();
}
