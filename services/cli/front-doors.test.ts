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
