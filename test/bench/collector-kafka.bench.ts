// File -> Kafka through the real collector service (`leakwatch collector --no-follow FILE`, its own
// process), on a real local broker: lines/s, and the collector's RSS when it starts, at its peak and
// when it has read everything, for FILE and for a file FACTOR times larger, to show memory does not
// grow with the file. Figures only, no assertions.
//
//   node dist/test/bench/collector-kafka.bench.js FILE [FACTOR=5]
//
// Broker: KAFKA_BROKERS, else 127.0.0.1:19092, started with deploy/local/up.sh kafka when nothing
// answers there (and stopped again at the end, as make test does). Topics are unique per run and
// deleted afterwards.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Kafka, logLevel } from 'kafkajs';
import { PACKAGE_ROOT } from '#shared/paths.js';
import { freePort } from '../support/processes.js';

const [file, factorArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: collector-kafka.bench FILE [FACTOR]');
  process.exit(2);
}
const factor = Number(factorArg ?? 5);
const brokers = (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:19092').split(',');

function kafkaAnswers(): boolean {
  try {
    execFileSync(process.execPath, [join(PACKAGE_ROOT, 'deploy/local/kafka-ready.mjs')], {
      env: { ...process.env, KAFKA_BROKER: brokers[0], READY_TIMEOUT_MS: '0' },
      stdio: 'ignore',
    });
    return true;
  } catch {
    return false;
  }
}

interface Run {
  lines: number;
  events: number;
  seconds: number;
  rssStart: number;
  rssPeak: number;
  rssEnd: number;
}

function rssOf(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** One collector process reading `path` once into fresh topics. */
async function run(path: string, topics: string[]): Promise<Run> {
  const [access, byRoute, alerts, deadletter] = topics as [string, string, string, string];
  const child = spawn(
    process.execPath,
    [join(PACKAGE_ROOT, 'bin/leakwatch.js'), 'collector', '--no-follow', '--format', 'nginx', path],
    {
      env: {
        ...process.env,
        LOG_LEVEL: 'info',
        NODE_NO_WARNINGS: '1', // a dependency's deprecation notice is not a figure
        KAFKA_BROKERS: brokers.join(','),
        LEAKWATCH_TOPIC_ACCESS: access,
        LEAKWATCH_TOPIC_ACCESS_BY_ROUTE: byRoute,
        LEAKWATCH_TOPIC_ALERTS: alerts,
        LEAKWATCH_TOPIC_DEADLETTER: deadletter,
        COLLECTOR_REDACTION_KEY: 'bench-redaction-key-0123456789',
        COLLECTOR_HTTP_PORT: String(await freePort()),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const pid = child.pid!;
  let rssStart = 0;
  let rssPeak = 0;
  let rssEnd = 0;
  let started = 0;
  let ended = 0;
  let events = 0;
  let lines = 0;
  const sampler = setInterval(() => {
    const r = rssOf(pid);
    if (r !== null) rssPeak = Math.max(rssPeak, r);
  }, 100);
  let buf = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl = buf.indexOf('\n');
    while (nl >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      nl = buf.indexOf('\n');
      let rec: { msg?: string; time?: string; read?: number; parsed?: number };
      try {
        rec = JSON.parse(line);
      } catch {
        continue;
      }
      // pino's own timestamps: the interval is the collector's, not this reader's
      if (rec.msg === 'collector started') {
        started = Date.parse(rec.time!);
        rssStart = rssOf(pid) ?? 0;
      } else if (rec.msg === 'all inputs read') {
        ended = Date.parse(rec.time!);
        rssEnd = rssOf(pid) ?? 0;
        lines = rec.read ?? 0;
        events = rec.parsed ?? 0;
      }
    }
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  clearInterval(sampler);
  if (code !== 0 || !started || !ended)
    throw new Error(`collector exited ${code} (started ${started}, ended ${ended})`);
  rssPeak = Math.max(rssPeak, rssStart, rssEnd);
  return { lines, events, seconds: (ended - started) / 1000, rssStart, rssPeak, rssEnd };
}

const mib = (b: number) => `${(b / 1024 / 1024).toFixed(0)} MiB`;

let startedKafka = false;
if (!kafkaAnswers()) {
  if (process.env['KAFKA_BROKERS']) {
    console.error(`bench: no Kafka answers at ${brokers[0]}`);
    process.exit(1);
  }
  console.log('(starting the local Kafka broker with deploy/local/up.sh kafka; stopped again at the end)');
  execFileSync('bash', [join(PACKAGE_ROOT, 'deploy/local/up.sh'), 'kafka'], { stdio: 'ignore' });
  startedKafka = true;
}

const big = `${file}.x${factor}`;
for (let i = 0; i < factor; i++)
  await pipeline(createReadStream(file), createWriteStream(big, { flags: i === 0 ? 'w' : 'a' }));

const admin = new Kafka({ clientId: 'lw-bench', brokers, logLevel: logLevel.NOTHING }).admin();
await admin.connect();
const created: string[] = [];
try {
  console.log(
    `== collector service: file -> Kafka (${brokers[0]}), nginx combined, acks=all, ${process.env['KAFKA_COMPRESSION'] ?? 'lz4'}, batches of 500; RSS of the collector process`,
  );
  for (const path of [file, big]) {
    const base = `lwbench-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
    const topics = ['access', 'by-route', 'alerts', 'deadletter'].map((t) => `${base}.${t}`);
    created.push(...topics);
    const r = await run(path, topics);
    const mb = statSync(path).size / 1e6;
    console.log(
      `  ${String(r.lines).padStart(9)} lines (${mb.toFixed(0)} MB): ${r.seconds.toFixed(1).padStart(6)} s  ${Math.round(
        r.lines / r.seconds,
      )
        .toLocaleString('en')
        .padStart(9)} lines/s  ${(mb / r.seconds).toFixed(1)} MB/s  ${r.events} events` +
        `  RSS start ${mib(r.rssStart)}, peak ${mib(r.rssPeak)}, end ${mib(r.rssEnd)}`,
    );
  }
} finally {
  rmSync(big, { force: true });
  await admin.deleteTopics({ topics: created }).catch(() => {});
  await admin.disconnect();
  if (startedKafka)
    execFileSync('bash', [join(PACKAGE_ROOT, 'deploy/local/down.sh'), 'kafka'], { stdio: 'ignore' });
}
