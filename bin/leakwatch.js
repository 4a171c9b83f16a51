#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm run build` (run by `npm ci` through `prepare`).
import('../dist/services/cli/main.js')
  .then((m) => m.main(process.argv))
  .catch((err) => {
    if (err && err.code === 'ERR_MODULE_NOT_FOUND') {
      console.error('leakwatch: not built yet; run `npm ci` (or `npm run build`) in the repository first');
    } else {
      console.error(err);
    }
    process.exit(1);
  });
