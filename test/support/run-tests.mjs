#!/usr/bin/env node
// Runs one suite of compiled tests with node's test runner, so CI reads its summary.
// unit: tests beside the code (dist/services/**/*.test.js); integration/e2e: dist/test/<suite>/**.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const suite = process.argv[2] ?? 'unit';
const roots = { unit: ['dist/services'], integration: ['dist/test/integration'], e2e: ['dist/test/e2e'] }[
  suite
];
if (!roots) {
  console.error(`unknown suite ${suite}; expected unit, integration or e2e`);
  process.exit(2);
}
const files = [];
const walk = (dir) => {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.test.js')) files.push(p);
  }
};
for (const r of roots) walk(r);
if (files.length === 0) {
  console.error(`no ${suite} tests found under ${roots.join(', ')} (did the build run?)`);
  process.exit(1);
}
const extra = process.argv.slice(3);
// Integration suites share one Kafka and one ClickHouse: run files one at a time.
const concurrency = suite === 'unit' ? [] : ['--test-concurrency=1'];
const r = spawnSync(
  process.execPath,
  ['--enable-source-maps', '--test', '--test-reporter=spec', ...concurrency, ...extra, ...files],
  {
    stdio: 'inherit',
  },
);
process.exit(r.status ?? 1);
