// Throughput of the collector's pure path on a real log: parse → redact → route → AccessEvent.
//
//   npx tsc -p . && node dist/test/bench/collector-parse.bench.js [file] [lines] [--out events.ndjson]
//
// file: relative to <shared>/data/real (default apache-elastic-examples/apache_logs); its lines
// are repeated to `lines` (default 200000). One core, no I/O in the timed loop; each stage is
// timed over the whole set after a warm-up pass. --out writes the file's events once as NDJSON
// (input for the detector's engine bench).
import { writeFileSync } from 'node:fs';
import { accessEventCodec } from '#shared/avro/codec.js';
import { createPipeline } from '../../services/collector/formats/pipeline.js';
import { formatById } from '../../services/collector/formats/registry.js';
import { compileNormalizeOptions } from '../../services/collector/normalize/options.js';
import { createRedactor, type Redactor } from '../../services/collector/normalize/redact.js';
import { normalizeRoute } from '../../services/collector/normalize/route.js';
import { toAccessEvent } from '../../services/collector/normalize/to-access-event.js';
import {
  type ParsedHttpLine,
  parseNginxCombined,
} from '../../services/collector/parsers/lib/combined-line.js';
import { readRealLines, realLogPath } from '../support/real-logs.js';

const args = process.argv.slice(2);
const outAt = args.indexOf('--out');
const out = outAt === -1 ? undefined : args.splice(outAt, 2)[1];
const rel = args[0] ?? 'apache-elastic-examples/apache_logs';
const target = Number(args[1] ?? 200_000);
const path = realLogPath(rel);
if (path === null) {
  console.error(`bench: ${rel} not found in the shared folder`);
  process.exit(1);
}
const base = readRealLines(path);
const lines: string[] = [];
while (lines.length < target) for (const l of base) if (lines.length < target) lines.push(l);
const bytes = lines.reduce((n, l) => n + l.length + 1, 0);

/** Times fn (a warm-up, then the median of 5), prints and returns lines/s over `count` lines of `size` bytes. */
function time(name: string, fn: () => number, count = lines.length, size = bytes): number {
  fn(); // warm-up
  const runs: number[] = [];
  let sink = 0;
  for (let r = 0; r < 5; r++) {
    const t0 = process.hrtime.bigint();
    sink += fn();
    runs.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  runs.sort((a, b) => a - b);
  const med = runs[2] as number;
  const rate = Math.round(count / med);
  console.log(
    `${name.padEnd(58)} ${rate.toLocaleString('en').padStart(11)} lines/s  ${(size / med / 1e6)
      .toFixed(0)
      .padStart(5)} MB/s  (median of 5, sink ${sink % 10})`,
  );
  return rate;
}

const redactor = createRedactor(Buffer.alloc(32, 7));
// Kept as copies: 200k results kept from the parser's own object literal would make V8 pretenure
// that allocation site (allocate it in old space from then on), which slows every later stage that
// parses. The collector never keeps parse results, so the figures must not pay for that.
const parsed: ParsedHttpLine[] = [];
for (const l of lines) {
  const r = parseNginxCombined(l);
  if (r.ok) parsed.push({ ...r.value });
}
console.log(
  `${rel}: ${lines.length} lines (${base.length} distinct, repeated), ${(bytes / 1e6).toFixed(1)} MB, node ${process.version}`,
);

time('parse', () => {
  let n = 0;
  for (const l of lines) if (parseNginxCombined(l).ok) n++;
  return n;
});
time('redactTarget + normalizeRoute (parsed input)', () => {
  let n = 0;
  for (const p of parsed)
    if (p.target !== null) n += normalizeRoute(redactor.redactTarget(p.target).target).route.length;
  return n;
});
time('toAccessEvent (parsed input)', () => {
  let n = 0;
  let i = 0;
  for (const p of parsed)
    n += toAccessEvent(p, { source: rel, tenant: 't', position: i++, redactor }).bytes_out;
  return n;
});
time('parse + toAccessEvent (the whole pure path)', () => {
  let n = 0;
  let i = 0;
  for (const l of lines) {
    const r = parseNginxCombined(l);
    if (r.ok) n += toAccessEvent(r.value, { source: rel, tenant: 't', position: i, redactor }).bytes_out;
    i++;
  }
  return n;
});

time('the same, fresh redactor per run (cold token memo)', () => {
  const cold = createRedactor(Buffer.alloc(32, 9));
  let n = 0;
  let i = 0;
  for (const l of lines) {
    const r = parseNginxCombined(l);
    if (r.ok)
      n += toAccessEvent(r.value, { source: rel, tenant: 't', position: i, redactor: cold }).bytes_out;
    i++;
  }
  return n;
});

// What the collector does per line before the network: the nginx format through the shared
// pipeline (parse, normalise, redact, route), then Avro single-object encoding. The figure issue 4
// asks for (target: 300,000 lines/s on one core).
const codec = accessEventCodec();
const normalize = compileNormalizeOptions();
function pipelineRun(input: readonly string[], withRedactor: Redactor): number {
  const pipeline = createPipeline({
    format: formatById('nginx'),
    source: rel,
    tenant: 't',
    redactor: withRedactor,
    normalize,
  });
  let n = 0;
  let offset = 0;
  for (const l of input) {
    for (const o of pipeline.push({ offset, text: l }))
      if (o.kind === 'event') n += codec.encode(o.event).length;
    offset += l.length + 1;
  }
  return n;
}
const collectorRate = time('PIPELINE+AVRO: nginx format + normalise + redact + Avro', () =>
  pipelineRun(lines, redactor),
);
// Normalisation memoises per redactor (targets, user agents, tokens). The repeated set above
// meets each distinct line 20 times; the file's own lines once with a fresh redactor is the
// figure for a log seen for the first time.
time(
  'the same, the file once, fresh redactor (cold memos)',
  () => pipelineRun(base, createRedactor(Buffer.alloc(32, 11))),
  base.length,
  base.reduce((n, l) => n + l.length + 1, 0),
);
console.log(
  `pipeline + Avro (what the collector runs, one core): ${collectorRate.toLocaleString('en')} lines/s (issue 4 target 300,000)`,
);

if (out !== undefined) {
  // The file's own lines once (repetitions would repeat timestamps); the engine bench shifts time.
  const ndjson = parsed
    .slice(0, base.length)
    .map((p, i) => JSON.stringify(toAccessEvent(p, { source: rel, tenant: 't', position: i, redactor })));
  writeFileSync(out, `${ndjson.join('\n')}\n`);
  console.log(`wrote ${ndjson.length} events to ${out}`);
}
