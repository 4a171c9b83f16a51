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

/**
 * fn(), again while Kafka answers with a retriable error for up to a minute: a broker that has just
 * restarted answers GROUP_LOAD_IN_PROGRESS while it loads its consumer offsets (`make demo` twice).
 */
async function retrying(what, fn) {
  const until = Date.now() + 60_000;
  for (let wait = 250; ; wait = Math.min(wait * 2, 2_000)) {
    try {
      return await fn();
    } catch (err) {
      if (!err?.retriable || Date.now() + wait > until) throw new Error(`${what}: ${err?.message ?? err}`);
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}

async function resetKafka() {
  const admin = new Kafka({ clientId: 'leakwatch-demo-reset', brokers: brokers.split(','), logLevel: logLevel.NOTHING }).admin();
  await retrying('connecting to Kafka', () => admin.connect());
  try {
    const existing = new Set(await retrying('listing topics', () => admin.listTopics()));
    const doomed = topics.filter((t) => existing.has(t));
    if (doomed.length) {
      await retrying('deleting topics', () => admin.deleteTopics({ topics: doomed, timeout: 30_000 }));
      // Deletion is asynchronous: wait until the names are free to be created again.
      for (let i = 0; i < 60; i++) {
        const left = new Set(await admin.listTopics());
        if (!doomed.some((t) => left.has(t))) break;
        await new Promise((r) => setTimeout(r, 500));
      }
      console.log(`demo: deleted topics ${doomed.join(', ')}`);
    }
    const groups = (process.env.DEMO_GROUPS ?? '').split(/\s+/).filter(Boolean);
    const listed = await retrying('listing consumer groups', () => admin.listGroups());
    const known = new Set(listed.groups.map((g) => g.groupId));
    const stale = groups.filter((g) => known.has(g));
    if (stale.length) {
      await retrying('deleting consumer groups', () => admin.deleteGroups(stale));
      console.log(`demo: deleted consumer groups ${stale.join(', ')}`);
    }
  } finally {
    await admin.disconnect();
  }
}

async function resetClickHouse() {
  const ch = createClient({ url: chUrl });
  try {
    await ch.command({ query: `DROP DATABASE IF EXISTS ${database}` });
    console.log(`demo: dropped ClickHouse database ${database}`);
  } finally {
    await ch.close();
  }
}

try {
  await resetKafka();
  await resetClickHouse();
} catch (err) {
  // one line, not a stack: what failed and where to look
  console.error(`demo-reset: ${err?.message ?? err} (are Kafka at ${brokers} and ClickHouse at ${chUrl} up? make status)`);
  process.exit(1);
}
