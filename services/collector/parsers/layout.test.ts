// The parsers' layout (issue 17): a folder per format, what formats share in lib/, and no format
// importing another format's folder; lib/ imports no format. Tests reach other formats through
// formats/registry.ts.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { PACKAGE_ROOT } from '#shared/paths.js';

const PARSERS = join(PACKAGE_ROOT, 'services', 'collector', 'parsers');

test('no format folder imports another format folder; lib imports no format', () => {
  const folders = readdirSync(PARSERS, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name);
  assert.ok(folders.includes('lib') && folders.includes('nginx') && folders.includes('postgres'));
  const bad: string[] = [];
  for (const folder of folders) {
    for (const name of readdirSync(join(PARSERS, folder))) {
      if (!name.endsWith('.ts')) continue;
      const text = readFileSync(join(PARSERS, folder, name), 'utf8');
      for (const m of text.matchAll(/(?:from|import\()\s*'\.\.\/([^./']+)\//g)) {
        const target = m[1] as string;
        if (target !== 'lib' && target !== folder && folders.includes(target))
          bad.push(`${relative(PARSERS, join(PARSERS, folder, name))} imports ${target}/`);
      }
    }
  }
  assert.deepEqual(bad, []);
});
