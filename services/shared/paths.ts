// Locates files shipped with the package (schemas, default configs) from compiled code in dist/.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'schemas'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('leakwatch: cannot find the package root (package.json + schemas/)');
    dir = up;
  }
}

/** Absolute path of the repository / installed package root. */
export const PACKAGE_ROOT = findRoot();
export const SCHEMAS_DIR = join(PACKAGE_ROOT, 'schemas');
