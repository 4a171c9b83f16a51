// The #shared alias (package.json "imports"): type checkers and editors follow the "types" condition
// to the TypeScript source; node at run time takes "default", the compiled dist/.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { PACKAGE_ROOT } from './paths.js';

test('#shared resolves to dist/ at run time', () => {
  const at = fileURLToPath(import.meta.resolve('#shared/config.js'));
  assert.equal(at, join(PACKAGE_ROOT, 'dist', 'services', 'shared', 'config.js'));
});

test('#shared resolves to the source for tools that read the "types" condition', () => {
  const pkg = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8'));
  assert.deepEqual(pkg.imports['#shared/*'], {
    types: './services/shared/*',
    default: './dist/services/shared/*',
  });
});
