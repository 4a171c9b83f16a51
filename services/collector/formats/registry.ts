// Every log format leakwatch reads, by id (`--format`, `collector.format`), and `auto`: the format
// whose sniff() is surest about the first lines. One table, so the collector, `leakwatch parse`
// and `leakwatch scan` accept exactly the same formats.
import { ConfigInvalid } from '#shared/errors.js';
import { FORMAT_IDS, type FormatId, isFormatChoice } from '#shared/log-formats.js';
import { apacheFormat } from '../parsers/apache/apache.js';
import { apiJsonFormat } from '../parsers/api-json/api-json.js';
import { cloudtrailFormat } from '../parsers/cloudtrail/cloudtrail.js';
import { jsonAccessFormat } from '../parsers/json-access/json-access.js';
import { mariadbAuditFormat } from '../parsers/mariadb-audit/mariadb-audit.js';
import { mysqlAuditFormat } from '../parsers/mysql-audit/mysql-audit.js';
import { mysqlGeneralFormat } from '../parsers/mysql-general/mysql-general.js';
import { mysqlSlowFormat } from '../parsers/mysql-slow/mysql-slow.js';
import { nginxFormat } from '../parsers/nginx/nginx.js';
import { postgresFormat } from '../parsers/postgres/postgres.js';
import { s3AccessFormat } from '../parsers/s3-access/s3-access.js';
import type { LogFormat } from '../parsers/types.js';

// The one table of formats: a format's id is its key here (and its `id`, checked by
// registry.test.ts); the keys are exactly #shared/log-formats.ts's FORMAT_IDS (the compiler checks
// both ways, the test checks the order).
export const FORMATS = Object.freeze({
  nginx: nginxFormat,
  apache: apacheFormat,
  json: jsonAccessFormat,
  'mysql-slow': mysqlSlowFormat,
  'mysql-general': mysqlGeneralFormat,
  'mysql-audit': mysqlAuditFormat,
  'mariadb-audit': mariadbAuditFormat,
  postgres: postgresFormat,
  s3: s3AccessFormat,
  cloudtrail: cloudtrailFormat,
  'api-json': apiJsonFormat,
  // biome-ignore lint/suspicious/noExplicitAny: each format validates its own options
} satisfies Record<FormatId, LogFormat<any>>);

export function formatById(id: string): LogFormat {
  if (!isFormatChoice(id) || id === 'auto')
    throw ConfigInvalid(`unknown log format ${id} (formats: auto, ${FORMAT_IDS.join(', ')})`);
  return FORMATS[id];
}

export interface Detection {
  id: FormatId;
  score: number;
  /** Runner-up, to say how sure the choice was. */
  next: { id: FormatId; score: number } | null;
}

/** The format whose sniff() scores the sample highest; null when none scores above 0.3. */
export function detectFormat(sample: readonly string[]): Detection | null {
  const lines = sample.filter((l) => l.trim() !== '').slice(0, 20);
  const scored = FORMAT_IDS.map((id) => {
    let score = 0;
    try {
      score = FORMATS[id].sniff(lines);
    } catch {
      score = 0; // a sniff that throws is a format that does not recognise the sample
    }
    return { id, score };
  }).sort((a, b) => b.score - a.score);
  const best = scored[0];
  if (best === undefined || best.score < 0.3) return null;
  return { id: best.id, score: best.score, next: scored[1] ?? null };
}
