// The real public logs in ../shared/data/real raise no alert at the default configuration
// (README "Simulated leaks caught"): `leakwatch scan` as a user runs it, file by file, one format
// per family. Skipped when the shared folder is absent.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { PACKAGE_ROOT } from '#shared/paths.js';
import { realLogPath } from '../../test/support/real-logs.js';

const FILES: Array<[format: string, rel: string]> = [
  ['nginx', 'apache-elastic-examples/apache_logs'],
  ['nginx', 'nginx-hakathon-wap/access.log.gz'],
  ['nginx', 'web-advertools/nginx_access.log'],
  ['nginx', 'web-advertools/dreamhost_apache_access.log'],
  ['nginx', 'nginx-edgecases-elastic-beats/test.log'],
  ['s3', 's3access-elastic-integrations/test-s3-server-access.log'],
  [
    'cloudtrail',
    'cloudtrail-flaws2/653711331788_CloudTrail_us-east-1_20181128T2235Z_cR9ra7OH1rytWyXY.json.gz',
  ],
  [
    'cloudtrail',
    'cloudtrail-flaws2/653711331788_CloudTrail_us-east-1_20181128T2310Z_7J9NEIxrjJsrlXSd.json.gz',
  ],
  ['mysql-slow', 'mysql-percona-toolkit/slowlogs/slow053.txt'],
  ['mysql-audit', 'mysql-enterprise-audit-elastic-beats/mysql_audit_test.log'],
  ['postgres', 'pgaudit-pgaudit/postgresql-2015-08-12_161343.csv'],
  ['postgres', 'postgresql-pgbadger/cnpg.log.gz'],
];

for (const [format, rel] of FILES) {
  const path = realLogPath(rel);
  test(`${rel} (${format}): no alert at the default configuration`, { skip: path === null }, () => {
    const out = execFileSync(
      process.execPath,
      [
        join(PACKAGE_ROOT, 'bin', 'leakwatch.js'),
        'scan',
        path as string,
        '--format',
        format,
        '--dev',
        '--no-progress',
      ],
      {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, LEAKWATCH_SENSITIVE_KINDS: '' },
      },
    );
    assert.equal(out, '', `alerts on ${rel}:\n${out.slice(0, 2000)}`);
  });
}
