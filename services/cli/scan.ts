// `leakwatch scan FILES... [--format F] [--config rules.yaml]`: the detection engine over log files,
// with the in-memory baseline store, nothing else installed. How a new user tries leakwatch and how
// analysts backfill and tune rules.
//
// stdout: alerts as NDJSON in the Alert JSON shape (DESIGN.md). An alert is printed when it first
// fires (its last_seen is the event time it fired at); later updates of the same alert_id are
// coalesced and printed once more at the end if they changed it — so the last line of an
// alert_id is its final state. stderr: the format chosen, a progress bar on a terminal, and a
// summary (lines, parsed, rejected, skipped, alerts by rule, speed).
import cliProgress from 'cli-progress';
import type { Alert } from '#shared/avro/generated/alert.js';
import type { FormatChoice } from '../collector/index.js';
import {
  addTally,
  compileNormalizeOptions,
  emptyTally,
  formatTally,
  type Pipeline,
  redactorForKey,
} from '../collector/index.js';
import { createEngine, loadRulesSetup, MemoryBaselineStore } from '../detector/index.js';
import { isDamagedInput, parseMaxLineBytes, plainSize, readLogOutcomes } from './log-input.js';

export { EXIT_DAMAGED_INPUT } from './log-input.js';

import { chooseRedactionKey } from './redaction-options.js';
import { writeLine } from './stdout.js';

export interface ScanCommandOptions {
  format: FormatChoice;
  logFormat?: string;
  config?: string;
  tenant: string;
  redactionKey?: string;
  dev?: boolean;
  progress?: boolean;
  /** Longest line read (bytes, commander gives a string); default DEFAULT_MAX_LINE_BYTES. */
  maxLineBytes?: string | number;
  /** LEAKWATCH_SENSITIVE_KINDS (config.detection.sensitiveKinds). */
  sensitiveKinds?: readonly string[];
}

export interface ScanSummary {
  lines: number;
  parsed: number;
  rejected: number;
  alerts: number;
  alertsByRule: Record<string, number>;
  seconds: number;
  /** One line per input that was damaged or not text (LW_ERR_INPUT_DAMAGED / _BINARY). */
  damaged: string[];
}

/** Event-time interval between idle sweeps of the engine. */
const SWEEP_EVERY = 20_000;

export async function runScan(files: string[], o: ScanCommandOptions): Promise<ScanSummary> {
  const maxLineBytes = parseMaxLineBytes(o.maxLineBytes);
  const setup = loadRulesSetup(o.config, o.sensitiveKinds);
  const { key, note } = chooseRedactionKey(o);
  if (note) process.stderr.write(`leakwatch scan: ${note}\n`);
  const normalize = compileNormalizeOptions();
  const redactor = redactorForKey(key, normalize.redactor);
  const engine = createEngine({
    rules: setup.rules,
    ...setup.engine,
    baselines: new MemoryBaselineStore(),
    onEvict: (n, held) =>
      process.stderr.write(
        `leakwatch scan: memory budget reached, evicted ${n} idle entities (${held} held)\n`,
      ),
  });

  const started = process.hrtime.bigint();
  const total = emptyTally();
  const printed = new Map<string, number>(); // alert_id -> observed when last printed
  const latest = new Map<string, Alert>();
  const byRule: Record<string, number> = {};
  let maxTs = Number.NEGATIVE_INFINITY;
  let sinceSweep = 0;

  const tty = o.progress !== false && process.stderr.isTTY === true;
  const bar = tty
    ? new cliProgress.SingleBar(
        { format: 'scan {bar} {percentage}% | {file} | {lines} lines | {alerts} alerts', hideCursor: true },
        cliProgress.Presets.shades_classic,
      )
    : null;

  const damaged: string[] = [];
  for (const path of files) {
    const size = await plainSize(path);
    bar?.start(size ?? 1, 0, { file: path, lines: total.lines, alerts: printed.size });
    let pipeline: Pipeline | undefined;
    try {
      for await (const outcomes of readLogOutcomes(
        path,
        {
          format: o.format,
          formatOptions: o.logFormat ? { logFormat: o.logFormat } : undefined,
          tenant: o.tenant,
          redactor,
          normalize,
          maxLineBytes,
          onDetected: (p, id, score) => {
            const msg = `leakwatch scan: ${p}: format ${id} (auto, sniff ${score.toFixed(2)})\n`;
            if (bar) bar.update({ file: `${p} (${id})` });
            else process.stderr.write(msg);
          },
          onProgress: (_p, offset) => {
            if (bar && size !== null)
              bar.update(offset, { lines: (pipeline?.tally.lines ?? 0) + total.lines });
          },
        },
        (p) => {
          pipeline = p;
        },
      )) {
        for (const x of outcomes) {
          if (x.kind !== 'event') continue;
          const e = x.event;
          if (e.ts > maxTs) maxTs = e.ts;
          for (const a of engine.process(e)) {
            if (!printed.has(a.alert_id)) {
              printed.set(a.alert_id, a.explanation.observed);
              byRule[a.rule] = (byRule[a.rule] ?? 0) + 1;
              await writeLine(JSON.stringify(a));
            } else {
              latest.set(a.alert_id, a);
            }
          }
          if (++sinceSweep >= SWEEP_EVERY) {
            sinceSweep = 0;
            engine.flushIdle(maxTs);
          }
        }
      }
    } catch (err) {
      if (!isDamagedInput(err)) throw err;
      damaged.push(err.message);
    }
    if (bar) bar.update(size ?? 1, { alerts: printed.size });
    bar?.stop();
    if (pipeline) {
      if (files.length > 1) process.stderr.write(`${path}: ${formatTally(pipeline.tally)}\n`);
      addTally(total, pipeline.tally);
    }
  }
  // Final state of alerts updated since they were first printed.
  for (const [id, a] of latest) {
    if (a.explanation.observed !== printed.get(id)) await writeLine(JSON.stringify(a));
  }

  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const alerts = printed.size;
  const rules = Object.entries(byRule)
    .sort((a, b) => b[1] - a[1])
    .map(([r, n]) => `${r}: ${n}`)
    .join(', ');
  const st = engine.stats();
  process.stderr.write(
    `leakwatch scan: ${formatTally(total)}; ${alerts} alert(s)${rules ? ` (${rules})` : ''}; ` +
      `late events ${st.lateEvents}; ${seconds.toFixed(2)} s, ${Math.round(total.lines / seconds)} lines/s` +
      `${damaged.length ? `; ${damaged.length} input(s) damaged or binary` : ''}\n`,
  );
  for (const d of damaged) process.stderr.write(`leakwatch scan: ${d}\n`);
  return {
    lines: total.lines,
    parsed: total.parsed,
    rejected: total.rejected,
    alerts,
    alertsByRule: byRule,
    seconds,
    damaged,
  };
}
