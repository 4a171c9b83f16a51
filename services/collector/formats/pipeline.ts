// Lines → parsed records → redacted AccessEvents, the same for the collector, `parse` and `scan`.
// Rejected records keep their reason and position (dead letters, summary); skipped records (banners,
// checkpoints) are counted by kind. The tallies always add up: every physical line is accounted
// for by exactly one outcome (multi-line records count all their lines).
import type { AccessEvent } from '#shared/avro/generated/access-event.js';
import { type LeakwatchError, ParseLineTooLong } from '#shared/errors.js';
import { emptyTally, type Tally } from '#shared/tally.js';
import type { NormalizeOptions } from '../normalize/options.js';
import type { Redactor } from '../normalize/redact.js';
import type { CompiledRouteTable } from '../normalize/route.js';
import { recordToAccessEvent } from '../normalize/to-access-event.js';
import type { InputLine, LogFormat, RecordParser, RecordResult } from '../parsers/types.js';

export type Outcome =
  | { kind: 'event'; event: AccessEvent; position: string }
  | { kind: 'rejected'; error: LeakwatchError; position: string; text: string }
  | { kind: 'skipped'; what: string; position: string };

export interface PipelineOptions {
  format: LogFormat;
  formatOptions?: Record<string, unknown>;
  source: string;
  /** What event_id hashes with each position instead of `source` (a file generation). */
  idSource?: string | undefined;
  tenant: string;
  redactor: Redactor;
  normalize: NormalizeOptions;
  routes?: CompiledRouteTable;
}

export interface Pipeline {
  push(line: InputLine): Outcome[];
  /**
   * push() of each line in order, their outcomes in one list. Callers are async functions that
   * run once per batch: with the per-line loop here, it is this small function that V8 optimises,
   * not each caller's whole state machine.
   */
  pushAll(lines: readonly InputLine[]): Outcome[];
  end(): Outcome[];
  readonly tally: Tally;
}

/** Reject reason of an error: the parser's reason (ParseMalformedLine's details.reason), else the error code. */
function reasonOf(err: LeakwatchError): string {
  const d = err.details?.['reason'];
  return typeof d === 'string' ? d : err.code;
}

export function createPipeline(opts: PipelineOptions): Pipeline {
  const parser: RecordParser = opts.format.create(opts.formatOptions);
  const tally = emptyTally();
  const ctx = {
    source: opts.source,
    idSource: opts.idSource,
    tenant: opts.tenant,
    position: '',
    redactor: opts.redactor,
    routes: opts.routes,
    options: opts.normalize,
  };

  /** A line the reader cut at its limit: rejected unparsed (a cut line could parse into wrong values). */
  function tooLong(line: InputLine, t: { bytes: number; limit: number }): Outcome {
    tally.rejected++;
    const reason = 'line_too_long';
    tally.rejectReasons[reason] = (tally.rejectReasons[reason] ?? 0) + 1;
    const error = ParseLineTooLong(t.limit, { details: { reason, bytes: t.bytes, offset: line.offset } });
    return { kind: 'rejected', error, position: String(line.offset), text: line.text };
  }

  /** Appends the outcomes of `results` to `out`, and returns it. */
  function convert(results: RecordResult[], out: Outcome[]): Outcome[] {
    for (const r of results) {
      if (r.ok === true) {
        ctx.position = r.position;
        try {
          out.push({ kind: 'event', event: recordToAccessEvent(r.record, ctx), position: r.position });
          tally.parsed++;
        } catch (err) {
          // Normalisation must not throw on parsed input; if it does, the record is rejected, not lost.
          const e = err as LeakwatchError;
          tally.rejected++;
          const reason = 'normalize_failed';
          tally.rejectReasons[reason] = (tally.rejectReasons[reason] ?? 0) + 1;
          out.push({ kind: 'rejected', error: e, position: r.position, text: '' });
        }
      } else if (r.ok === false) {
        tally.rejected++;
        const reason = reasonOf(r.error);
        tally.rejectReasons[reason] = (tally.rejectReasons[reason] ?? 0) + 1;
        out.push({ kind: 'rejected', error: r.error, position: r.position, text: r.text });
      } else {
        tally.skipped++;
        tally.skippedKinds[r.kind] = (tally.skippedKinds[r.kind] ?? 0) + 1;
        out.push({ kind: 'skipped', what: r.kind, position: r.position });
      }
    }
    return out;
  }

  function pushAll(lines: readonly InputLine[]): Outcome[] {
    const out: Outcome[] = [];
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i] as InputLine;
      tally.lines++;
      if (line.tooLong !== undefined) out.push(tooLong(line, line.tooLong));
      else convert(parser.push(line), out);
    }
    return out;
  }

  return {
    tally,
    push: (line) => pushAll([line]),
    pushAll,
    end() {
      return convert(parser.end(), []);
    },
  };
}
