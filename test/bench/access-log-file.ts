// Writes a long nginx/Apache combined access log for the scan bench: a real log repeated, each
// repetition moved later in time by the real log's span, so event time keeps increasing.
//
//   node dist/test/bench/access-log-file.js OUT [lines] [real-log]
import { writeFileSync } from 'node:fs';
import { parseNginxCombined } from '../../services/collector/parsers/lib/combined-line.js';
import { readRealLines, realLogPath } from '../support/real-logs.js';

const [out, linesArg, relArg] = process.argv.slice(2);
if (!out) {
  console.error('usage: access-log-file OUT [lines] [real-log]');
  process.exit(2);
}
const target = Number(linesArg ?? 200_000);
const rel = relArg ?? 'apache-elastic-examples/apache_logs';
const path = realLogPath(rel);
if (path === null) {
  console.error(`bench: ${rel} not found in the shared folder`);
  process.exit(1);
}
const base = readRealLines(path).filter((l) => l.length > 0);
const times = base.map((l) => {
  const r = parseNginxCombined(l);
  return r.ok ? r.value.tsMs : Number.NaN;
});
const finite = times.filter(Number.isFinite);
const span = Math.max(...finite) - Math.min(...finite) + 60_000;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number) => String(n).padStart(2, '0');
function timeLocal(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
}
const outLines: string[] = [];
for (let rep = 0; outLines.length < target; rep++) {
  for (let i = 0; i < base.length && outLines.length < target; i++) {
    const line = base[i] as string;
    const t = times[i] as number;
    const a = line.indexOf('[');
    const b = line.indexOf(']', a);
    if (!Number.isFinite(t) || a < 0 || b < 0) {
      outLines.push(line);
      continue;
    }
    outLines.push(line.slice(0, a + 1) + timeLocal(t + rep * span) + line.slice(b));
  }
}
writeFileSync(out, `${outLines.join('\n')}\n`);
console.log(`wrote ${outLines.length} lines to ${out}`);
