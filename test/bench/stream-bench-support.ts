// What the streaming benches share: unique topics, group and ClickHouse database per run, services
// started as real processes (test/support/processes.ts), waiting for a group to commit the end of
// its topics, RSS and /metrics of a service, and cleaning everything up (also on SIGINT/SIGTERM and
// on failure): processes stopped by pid, topics and consumer groups deleted, the database dropped.
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createClient } from '@clickhouse/client';
import type { Admin, Kafka } from 'kafkajs';
import { PACKAGE_ROOT } from '#shared/paths.js';
import { freePort, type ServiceProcess, startService } from '../support/processes.js';
import { getServices, type TestServices, uniqueName } from '../support/services.js';
import { testKafka } from '../support/streams.js';

export const PARTITIONS = 6;

export interface Names {
  access: string;
  byRoute: string;
  alerts: string;
  deadletter: string;
  group: string;
  /** Service env: brokers, ClickHouse, topics, detector group. */
  env: Record<string, string>;
}

export interface Detector {
  proc: ServiceProcess;
  port: number;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `fn` every `intervalMs` until it is true; throws after `timeoutMs` or when a process dies. */
export async function until(
  what: string,
  fn: () => Promise<boolean> | boolean,
  opts: { timeoutMs: number; intervalMs?: number; alive?: readonly ServiceProcess[] },
): Promise<number> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    for (const p of opts.alive ?? []) {
      if (p.child.exitCode !== null || p.child.signalCode !== null)
        throw new Error(
          `${p.name} exited (${p.child.exitCode ?? p.child.signalCode}) while waiting for ${what}; log: ${p.logFile}`,
        );
    }
    if (
      await Promise.resolve()
        .then(fn)
        .catch(() => false)
    )
      return Date.now();
    if (Date.now() > deadline) throw new Error(`${what}: not within ${Math.round(opts.timeoutMs / 1000)} s`);
    await sleep(opts.intervalMs ?? 100);
  }
}

export function rssBytes(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** CPU time (user + system) a process has used so far, in seconds (clock ticks of 1/100 s). */
export function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return 0;
  }
}

/** Peak RSS and CPU seconds of a process, sampled (the last sample survives the process's exit). */
export class Sampler {
  peakRss = 0;
  cpu = 0;
  readonly #cpu0: number;
  readonly #timer: NodeJS.Timeout;
  /** [wall ms, cpu] of every sample: what the process had used by a given time (cpuSince). */
  readonly #history: Array<[number, number]> = [];

  constructor(
    readonly pid: number | undefined,
    intervalMs = 100,
  ) {
    this.#cpu0 = cpuSeconds(pid);
    this.#timer = setInterval(() => this.sample(), intervalMs);
  }

  sample(): void {
    const rss = rssBytes(this.pid);
    if (rss === 0) return;
    this.peakRss = Math.max(this.peakRss, rss);
    this.cpu = cpuSeconds(this.pid) - this.#cpu0;
    this.#history.push([Date.now(), this.cpu]);
  }

  /** CPU seconds used after wall time `t` (ms): the last sample taken by then is the start; to within one interval. */
  cpuSince(t: number): number {
    let before = 0;
    for (const [at, cpu] of this.#history) {
      if (at > t) break;
      before = cpu;
    }
    return this.cpu - before;
  }

  stop(): this {
    this.sample();
    clearInterval(this.#timer);
    return this;
  }
}

/** The pid of the broker deploy/local/up.sh started for this checkout, when the bench uses that one. */
export function localBrokerPid(): number | undefined {
  if (process.env['KAFKA_BROKERS']) return undefined;
  const runDir = process.env['LW_RUN_DIR'] ?? join(PACKAGE_ROOT, 'deploy/local/run');
  try {
    const pid = Number(readFileSync(join(runDir, 'kafka/broker.pid'), 'utf8').trim());
    return Number.isInteger(pid) && cpuSeconds(pid) > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export const mib = (b: number) => `${(b / 1024 / 1024).toFixed(0)} MiB`;
export const rate = (n: number, ms: number) => Math.round((n * 1000) / Math.max(ms, 1)).toLocaleString('en');
export const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export async function scrape(port: number): Promise<string> {
  const r = await fetch(`http://127.0.0.1:${port}/metrics`);
  return r.text();
}

/** Sum of a counter or gauge over its label sets. */
export function metricValue(text: string, name: string): number {
  let sum = 0;
  const re = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.eE+-]+)$`, 'gm');
  for (const m of text.matchAll(re)) sum += Number(m[1]);
  return sum;
}

/** Quantile estimate from a Prometheus histogram, interpolated within the bucket (histogram_quantile). */
export function histogramQuantiles(
  text: string,
  name: string,
  qs: readonly number[],
): { count: number; values: number[] } {
  const buckets: [number, number][] = [];
  const re = new RegExp(`^${name}_bucket\\{[^}]*le="([^"]+)"[^}]*\\} ([0-9.eE+-]+)$`, 'gm');
  for (const m of text.matchAll(re)) buckets.push([m[1] === '+Inf' ? Infinity : Number(m[1]), Number(m[2])]);
  buckets.sort((a, b) => a[0] - b[0]);
  const count = buckets.at(-1)?.[1] ?? 0;
  const values = qs.map((q) => {
    const want = q * count;
    let prevLe = 0;
    let prevN = 0;
    for (const [le, n] of buckets) {
      if (n >= want) {
        if (le === Infinity) return prevLe;
        return prevLe + ((le - prevLe) * (want - prevN)) / Math.max(n - prevN, 1);
      }
      prevLe = le;
      prevN = n;
    }
    return Number.NaN;
  });
  return { count, values };
}

export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

/** Messages in a topic now (high - low over its partitions) and the largest partition's share. */
export async function topicSize(admin: Admin, topic: string): Promise<{ total: number; maxShare: number }> {
  const offs = await admin.fetchTopicOffsets(topic);
  const sizes = offs.map((p) => Number(p.high) - Number(p.low));
  const total = sizes.reduce((a, b) => a + b, 0);
  return { total, maxShare: total ? Math.max(...sizes) / total : 0 };
}

/** True when `group` has committed the log end of every non-empty partition of `topics`. */
export async function committedEnd(admin: Admin, group: string, topics: readonly string[]): Promise<boolean> {
  const committed = await admin.fetchOffsets({ groupId: group, topics: [...topics] });
  for (const topic of topics) {
    const ends = await admin.fetchTopicOffsets(topic);
    const c = committed.find((t) => t.topic === topic);
    for (const p of ends) {
      const done = Number(c?.partitions.find((x) => x.partition === p.partition)?.offset ?? -1);
      if (Number(p.high) > Number(p.low) && done < Number(p.high)) return false;
    }
  }
  return true;
}

/** One bench process's Kafka and ClickHouse resources; `cleanup` releases them (idempotent). */
export class BenchResources {
  readonly svc: TestServices;
  readonly kafka: Kafka;
  readonly admin: Admin;
  readonly database: string;
  readonly #procs: ServiceProcess[] = [];
  readonly #topics: string[] = [];
  readonly #groups: string[] = [];
  #migrated = false;
  #cleaning: Promise<void> | undefined;

  private constructor(svc: TestServices, kafka: Kafka, admin: Admin) {
    this.svc = svc;
    this.kafka = kafka;
    this.admin = admin;
    this.database = uniqueName('bench');
  }

  static async open(): Promise<BenchResources> {
    const svc = await getServices();
    const kafka = testKafka(svc.kafkaBrokers);
    const admin = kafka.admin();
    await admin.connect();
    const r = new BenchResources(svc, kafka, admin);
    const onSignal = (sig: NodeJS.Signals) => {
      console.error(`bench: ${sig}, cleaning up`);
      void r.cleanup().finally(() => process.exit(1));
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    return r;
  }

  /** Unique topics (created here, 6 partitions; the alerts topic stamps LogAppendTime) and group. */
  async names(label: string): Promise<Names> {
    const base = uniqueName(label).replace(/_/g, '-');
    const n = {
      access: `${base}.access`,
      byRoute: `${base}.access-by-route`,
      alerts: `${base}.alerts`,
      deadletter: `${base}.deadletter`,
      group: `${base}-detector`,
    };
    this.#topics.push(n.access, n.byRoute, n.alerts, n.deadletter);
    this.#groups.push(n.group);
    await this.admin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic: n.access, numPartitions: PARTITIONS },
        { topic: n.byRoute, numPartitions: PARTITIONS },
        { topic: n.deadletter, numPartitions: PARTITIONS },
        {
          topic: n.alerts,
          numPartitions: PARTITIONS,
          // the alert's timestamp is when the broker appended it, not when the detector built it
          configEntries: [{ name: 'message.timestamp.type', value: 'LogAppendTime' }],
        },
      ],
    });
    return {
      ...n,
      env: {
        KAFKA_BROKERS: this.svc.kafkaBrokers.join(','),
        CLICKHOUSE_URL: this.svc.clickhouseUrl,
        CLICKHOUSE_DATABASE: this.database,
        LEAKWATCH_TOPIC_ACCESS: n.access,
        LEAKWATCH_TOPIC_ACCESS_BY_ROUTE: n.byRoute,
        LEAKWATCH_TOPIC_ALERTS: n.alerts,
        LEAKWATCH_TOPIC_DEADLETTER: n.deadletter,
        LEAKWATCH_TOPIC_PARTITIONS: String(PARTITIONS),
        DETECTOR_GROUP_ID: n.group,
        NODE_NO_WARNINGS: '1',
      },
    };
  }

  /** A consumer group id of this run (deleted by cleanup()). */
  group(label: string): string {
    const g = uniqueName(label);
    this.#groups.push(g);
    return g;
  }

  /** A service process, stopped by cleanup() if still running. */
  start(name: string, args: string[], env: Record<string, string>): ServiceProcess {
    const p = startService(name, args, env);
    this.#procs.push(p);
    return p;
  }

  /** Migrates this run's database once (the detector's ClickHouse baseline store reads it). */
  async migrate(env: Record<string, string>): Promise<void> {
    if (this.#migrated) return;
    const p = this.start('bench-migrate', ['migrate'], env);
    const code = await p.exited;
    if (code !== 0) throw new Error(`migrate exited ${code}; log: ${p.logFile}`);
    this.#migrated = true;
    rmSync(p.logFile, { force: true });
  }

  /** The detector (ClickHouse baseline store) on `names`, once its group has assigned it partitions. */
  async detector(names: Names, timeoutMs = 60_000): Promise<Detector & { readyAt: number }> {
    await this.migrate(names.env);
    const port = await freePort();
    const proc = this.start('bench-detector', ['detector'], {
      ...names.env,
      DETECTOR_HTTP_PORT: String(port),
    });
    const readyAt = await until(
      'detector ready (joined its group)',
      async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200,
      { timeoutMs, intervalMs: 50, alive: [proc] },
    );
    return { proc, port, readyAt };
  }

  /** Stops a service with SIGTERM; its log is removed when it exited 0. */
  async stop(p: ServiceProcess): Promise<void> {
    const code = await p.stop();
    if (code === 0) rmSync(p.logFile, { force: true });
    else console.log(`  (${p.name} exited ${code}; log kept: ${p.logFile})`);
  }

  cleanup(): Promise<void> {
    this.#cleaning ??= (async () => {
      for (const p of this.#procs) await p.stop(10_000).catch(() => {});
      if (this.#topics.length)
        await this.admin.deleteTopics({ topics: this.#topics, timeout: 10_000 }).catch(() => {});
      if (this.#groups.length) await this.admin.deleteGroups(this.#groups).catch(() => {});
      if (this.#migrated) {
        const ch = createClient({ url: this.svc.clickhouseUrl });
        await ch.command({ query: `DROP DATABASE IF EXISTS ${this.database}` }).catch(() => {});
        await ch.close();
      }
      await this.admin.disconnect().catch(() => {});
    })();
    return this.#cleaning;
  }
}
