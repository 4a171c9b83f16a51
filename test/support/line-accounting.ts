// Test support for line-fed parsers: feeds lines with byte offsets and accounts for every
// physical line (parsed + skipped + rejected = lines read), asserting positions are unique offsets
// of lines and results come in line order. Shared by the database parser tests.
import assert from 'node:assert/strict';
import type {
  AccessRecord,
  RecordParser,
  RecordResult,
  Rejected,
  Skipped,
} from '../../services/collector/parsers/types.js';

export interface Run {
  results: RecordResult[];
  records: AccessRecord[];
  rejected: Rejected[];
  skipped: Skipped[];
  /** Physical lines per kind, from the positions (a record spans up to the next record's first line). */
  lines: { parsed: number; skipped: number; rejected: number };
}

export function run(parser: RecordParser, lines: readonly string[]): Run {
  const results: RecordResult[] = [];
  const lineOf = new Map<number, number>();
  let off = 0;
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i] as string;
    lineOf.set(off, i);
    results.push(...parser.push({ offset: off, text }));
    off += Buffer.byteLength(text) + 1;
  }
  results.push(...parser.end());
  const starts = results.map((r) => {
    const l = lineOf.get(Number(r.position.split(':')[0]));
    assert.ok(l !== undefined, `position ${r.position} is not the offset of a line`);
    return l;
  });
  assert.equal(new Set(results.map((r) => r.position)).size, results.length, 'positions are unique');
  if (lines.length > 0) assert.equal(starts[0], 0, 'the first line belongs to a result');
  const acc = { parsed: 0, skipped: 0, rejected: 0 };
  for (let k = 0; k < results.length; k++) {
    const s = starts[k] as number;
    let next = lines.length;
    for (let m = k + 1; m < results.length; m++) {
      if ((starts[m] as number) !== s) {
        next = starts[m] as number;
        break;
      }
    }
    assert.ok(next >= s, 'results come in line order');
    const span = k > 0 && starts[k - 1] === s ? 0 : next - s;
    const r = results[k] as RecordResult;
    if (r.ok === 'skip') assert.equal(r.lines, span, `skipped ${r.kind} at line ${s} spans ${span} lines`);
    if (r.ok === true) acc.parsed += span;
    else if (r.ok === 'skip') acc.skipped += span;
    else acc.rejected += span;
  }
  assert.equal(acc.parsed + acc.skipped + acc.rejected, lines.length, 'every line accounted for');
  return {
    results,
    records: results.flatMap((r) => (r.ok === true ? [r.record] : [])),
    rejected: results.filter((r): r is Rejected => r.ok === false),
    skipped: results.filter((r): r is Skipped => r.ok === 'skip'),
    lines: acc,
  };
}
