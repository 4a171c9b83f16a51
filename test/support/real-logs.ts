// Test and bench support: the real log samples live in the shared folder, outside the repository
// (never copied in). Located by LEAKWATCH_SHARED_DIR, else <repo root>/../shared.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { PACKAGE_ROOT } from '#shared/paths.js';

export function sharedDir(): string {
  return process.env['LEAKWATCH_SHARED_DIR'] ?? join(PACKAGE_ROOT, '..', 'shared');
}

/** Absolute path of a file under <shared>/data/real, or null when it is not there. */
export function realLogPath(rel: string): string | null {
  const p = join(sharedDir(), 'data', 'real', rel);
  return existsSync(p) ? p : null;
}

/**
 * The file's lines (gunzipped when it ends in .gz, through `bzip2 -dc` when it ends in .bz2:
 * Node has no bzip2), without line terminators; no trailing empty line.
 */
export function readRealLines(path: string): string[] {
  let buf = path.endsWith('.bz2')
    ? execFileSync('bzip2', ['-dc', path], { maxBuffer: 1 << 30 })
    : readFileSync(path);
  if (path.endsWith('.gz')) buf = gunzipSync(buf);
  const lines = buf.toString('utf8').split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** The web access logs every parser test runs on. */
export const REAL_WEB_LOGS = [
  'apache-elastic-examples/apache_logs',
  'nginx-hakathon-wap/access.log.gz',
  'web-advertools/nginx_access.log',
  'web-advertools/dreamhost_apache_access.log',
  'nginx-edgecases-elastic-beats/test.log',
] as const;
