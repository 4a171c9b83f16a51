// The real web logs of the shared folder (REAL_WEB_LOGS) are ordinary traffic: `leakwatch scan` at
// the default configuration raises no alert on any of them (README, "Simulated leaks caught").
// Run as a user would, through the CLI; skipped where the shared folder is absent.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { PACKAGE_ROOT } from '#shared/paths.js';
import { REAL_WEB_LOGS, realLogPath } from '../collector/parsers/real-logs.js';

const run = promisify(execFile);
const BIN = join(PACKAGE_ROOT, 'bin', 'leakwatch.js');

for (const rel of REAL_WEB_LOGS) {
  const path = realLogPath(rel);
  test(`scan ${rel}: no alert at the default configuration`, {
    skip: path === null && 'not in the shared folder',
  }, async () => {
    const { stdout, stderr } = await run(
      process.execPath,
      [BIN, 'scan', '--no-progress', '--dev', path as string],
      {
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    assert.equal(stdout, '', `alerts:\n${stdout.slice(0, 2000)}`);
    assert.match(stderr, / 0 alert\(s\)/);
  });
}
