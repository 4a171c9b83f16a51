#!/usr/bin/env node
// Writes the demo's access log: a sample of a real public log (../shared/data/real, when present;
// generated browsing traffic otherwise) with one injected leak: a client walking WooCommerce order
// ids one by one. Lines are in time order, as a web server writes them.
//   node demo-log.mjs OUT [REAL_LOG] [SAMPLE_LINES]
import { createReadStream, existsSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';

const [out, realLog, sampleArg] = process.argv.slice(2);
const sample = Number(sampleArg ?? 3000);
const MON = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const p2 = (n) => String(n).padStart(2, '0');
const fmt = (ms) => {
  const d = new Date(ms);
  return `${p2(d.getUTCDate())}/${MON[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} +0000`;
};
const timeOf = (line) => {
  const m = /\[(\d{2})\/(\w{3})\/(\d{4}):(\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})\]/.exec(line);
  if (!m) return null;
  const off = (m[7] === '-' ? -1 : 1) * (Number(m[8]) * 60 + Number(m[9])) * 60000;
  return Date.UTC(+m[3], MON.indexOf(m[2]), +m[1], +m[4], +m[5], +m[6]) - off;
};

const background = [];
if (realLog && existsSync(realLog)) {
  const input = realLog.endsWith('.gz') ? createReadStream(realLog).pipe(createGunzip()) : createReadStream(realLog);
  for await (const line of createInterface({ input, crlfDelay: Infinity })) {
    if (background.length >= sample) break;
    const t = timeOf(line);
    if (line && t !== null) background.push([t, line]);
  }
} else {
  const t0 = Date.UTC(2026, 10, 20, 9, 0, 0);
  const pages = ['/', '/shop/', '/product/vitamin-d/', '/cart/', '/my-account/', '/?p=42', '/wp-content/themes/shop/style.css'];
  for (let i = 0; i < sample; i++) {
    const ip = `198.51.100.${(i * 7) % 200 + 1}`;
    background.push([t0 + i * 900, `${ip} - - [${fmt(t0 + i * 900)}] "GET ${pages[i % pages.length]} HTTP/1.1" 200 ${1500 + (i % 50) * 37} "-" "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0"`]);
  }
}
background.sort((a, b) => a[0] - b[0]);
const mid = background[Math.floor(background.length / 2)]?.[0] ?? Date.now();
const leak = [];
for (let i = 0; i < 60; i++) {
  const t = mid + i * 800 + (i % 3) * 150;
  const id = 5000 + i + (i % 9 === 4 ? 1 : 0); // a skipped id now and then, as real walks have
  leak.push([t, `203.0.113.66 - - [${fmt(t)}] "GET /wp-json/wc/v3/orders/${id} HTTP/1.1" 200 ${2400 + (i % 5) * 53} "-" "python-requests/2.32.3"`]);
}
const malformed = [[mid + 1, 'this line is not in any access-log format (the demo shows it dead-lettered)']];
const all = [...background, ...leak, ...malformed].sort((a, b) => a[0] - b[0]);
writeFileSync(out, `${all.map(([, l]) => l).join('\n')}\n`);
console.log(`demo log: ${all.length} lines (${background.length} background from ${realLog && existsSync(realLog) ? realLog : 'generated traffic'}, 60 injected order-walk requests from 203.0.113.66, 1 malformed) -> ${out}`);
