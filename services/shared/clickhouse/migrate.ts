// Applies schemas/clickhouse/NNNN_name.sql in order and records each in <db>.schema_migrations.
// Statements are idempotent (IF NOT EXISTS), so a migration interrupted half-way can run again.
// An applied migration whose file changed is an error: write a new migration instead.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MigrationFailed } from '../errors.js';
import type { Logger } from '../log.js';
import { SCHEMAS_DIR } from '../paths.js';
import { type ClickHouseClient, command, queryRows } from './client.js';
import { ident, sql, table } from './sql.js';

export const MIGRATIONS_DIR = join(SCHEMAS_DIR, 'clickhouse');

export interface Migration {
  version: number;
  name: string;
  checksum: string;
  statements: string[];
}

/** Splits a migration file into statements (`;` at the end of a line), dropping `--` comment lines. */
export function splitStatements(text: string): string[] {
  const body = text
    .split('\n')
    .filter((l) => !l.trim().startsWith('--'))
    .join('\n');
  return body
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.trim())
    .filter(Boolean);
}

export function loadMigrations(database: string, dir: string = MIGRATIONS_DIR): Migration[] {
  const db = ident(database).text;
  const files = readdirSync(dir)
    .filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))
    .sort();
  return files.map((f) => {
    const text = readFileSync(join(dir, f), 'utf8');
    return {
      version: Number(f.slice(0, 4)),
      name: f.replace(/\.sql$/, ''),
      checksum: createHash('sha256').update(text).digest('hex').slice(0, 16),
      statements: splitStatements(text.replaceAll('{db}', db)),
    };
  });
}

export interface MigrateResult {
  applied: string[];
  alreadyApplied: string[];
}

/** The runner's own statements: the database and its ledger (also run by the compat test). */
export function ledgerStatements(database: string) {
  const ledger = table(database, 'schema_migrations');
  return {
    bootstrap: [
      sql`CREATE DATABASE IF NOT EXISTS ${ident(database)}`,
      sql`CREATE TABLE IF NOT EXISTS ${ledger} (version UInt32, name String, checksum String, applied_at DateTime) ENGINE = MergeTree ORDER BY version`,
    ],
    applied: sql`SELECT version, checksum FROM ${ledger}`,
    record: (m: Pick<Migration, 'version' | 'name' | 'checksum'>) =>
      sql`INSERT INTO ${ledger} (version, name, checksum, applied_at) VALUES (${m.version}, ${m.name}, ${m.checksum}, now())`,
  };
}

export async function migrate(ch: ClickHouseClient, database: string, log?: Logger): Promise<MigrateResult> {
  const stmts = ledgerStatements(database);
  for (const s of stmts.bootstrap) await command(ch, s);
  const done = new Map(
    (await queryRows<{ version: number | string; checksum: string }>(ch, stmts.applied)).map((r) => [
      Number(r.version),
      r.checksum,
    ]),
  );
  const result: MigrateResult = { applied: [], alreadyApplied: [] };
  for (const m of loadMigrations(database)) {
    const prior = done.get(m.version);
    if (prior !== undefined) {
      if (prior !== m.checksum) {
        throw MigrationFailed(
          m.name,
          `already applied with checksum ${prior}, file now has ${m.checksum}; add a new migration instead of editing an applied one`,
        );
      }
      result.alreadyApplied.push(m.name);
      continue;
    }
    for (const [i, stmt] of m.statements.entries()) {
      try {
        await command(ch, stmt);
      } catch (err) {
        throw MigrationFailed(m.name, `statement ${i + 1}: ${(err as Error).message}`, { cause: err });
      }
    }
    await command(ch, stmts.record(m));
    log?.info({ migration: m.name }, 'migration applied');
    result.applied.push(m.name);
  }
  return result;
}
