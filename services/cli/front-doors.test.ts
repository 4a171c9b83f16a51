// cli, eval and simulate reach the collector and the detector only through their index.ts (issue 17).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { PACKAGE_ROOT } from '#shared/paths.js';

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((d) => d.isFile() && d.name.endsWith('.ts'))
    .map((d) => join(d.parentPath, d.name));
}

test('cli, eval and simulate import collector and detector only through their index.ts', () => {
  const bad: string[] = [];
  for (const tool of ['cli', 'eval', 'simulate']) {
    for (const file of tsFiles(join(PACKAGE_ROOT, 'services', tool))) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/(?:from|import\()\s*'((?:\.\.\/)+(?:collector|detector)\/[^']*)'/g)) {
        const spec = m[1] as string;
        if (/^(?:\.\.\/)+(?:collector|detector)\/index\.js$/.test(spec)) continue;
        bad.push(`${relative(PACKAGE_ROOT, file)}: ${spec}`);
      }
    }
  }
  assert.deepEqual(bad, []);
});

/** Files reached from `entry` through static value imports (not `import type`, not `import()`). */
function staticImports(entry: string): string[] {
  const seen = new Set<string>();
  const todo = [entry];
  for (let file = todo.pop(); file !== undefined; file = todo.pop()) {
    if (seen.has(file)) continue;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^(?:import|export)\s+(?!type\b)[^;]*?from\s+'([^']+)'/gms)) {
      const spec = m[1] as string;
      const ts = (p: string) => p.replace(/\.js$/, '.ts');
      if (spec.startsWith('.')) todo.push(ts(join(file, '..', spec)));
      else if (spec.startsWith('#shared/'))
        todo.push(ts(join(PACKAGE_ROOT, 'services/shared', spec.slice(8))));
    }
  }
  return [...seen].map((f) => relative(PACKAGE_ROOT, f));
}

test("the CLI's entry and scan's detection thread load no collector or detector module at start", () => {
  // Every command pays for what main.ts loads (`--help`, the services' start); scan's detection
  // thread would load the collector while its parsing thread waits to be started.
  // each entry with a file it must reach: the walk follows relative and #shared imports
  const entries = [
    ['services/cli/main.ts', 'services/shared/log-formats.ts'],
    ['services/cli/scan.ts', 'services/cli/event-batch.ts'],
  ] as const;
  for (const [entry, reaches] of entries) {
    const reached = staticImports(join(PACKAGE_ROOT, entry));
    assert.ok(reached.includes(reaches), `${entry} should reach ${reaches}`);
    assert.deepEqual(
      reached.filter((f) => /^services\/(collector|detector)\//.test(f)),
      [],
      entry,
    );
  }
});
