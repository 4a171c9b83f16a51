// Building the API for tests: one token per role (API_TOKENS holds their SHA-256), a config with
// the API security settings, a ClickHouse client that is never reachable (quiet), and an authorised
// inject helper.
import { createHash } from 'node:crypto';
import { ClickHouseLogLevel, createClient } from '@clickhouse/client';
import type { FastifyInstance, InjectOptions } from 'fastify';
import type { ClickHouseClient } from '#shared/clickhouse/client.js';
import { type Config, loadConfig } from '#shared/config.js';
import { createLogger } from '#shared/log.js';
import { build } from '../../services/api/app.js';

export const ROLES = ['viewer', 'responder', 'admin'] as const;
export type TestRole = (typeof ROLES)[number];

/** A fixed token per role (tests only). */
export const TOKENS: Record<TestRole, string> = {
  viewer: `lw_test_viewer_${'v'.repeat(32)}`,
  responder: `lw_test_responder_${'r'.repeat(32)}`,
  admin: `lw_test_admin_${'a'.repeat(32)}`,
};

export function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

/** API_TOKENS value with the three test tokens. */
export function apiTokensEnv(): string {
  return ROLES.map((r) => `test-${r}:${r}:${sha256(TOKENS[r])}`).join(',');
}

export function apiConfig(env: Record<string, string> = {}): Readonly<Config> {
  return loadConfig({ env: { API_TOKENS: apiTokensEnv(), LOG_LEVEL: 'silent', ...env } });
}

/** A client pointed at a closed port, with its own error logging off. */
export function unreachableClickHouse(): ClickHouseClient {
  return createClient({ url: 'http://127.0.0.1:1', log: { level: ClickHouseLogLevel.OFF } });
}

export function quietClickHouse(url: string): ClickHouseClient {
  return createClient({
    url,
    log: { level: ClickHouseLogLevel.OFF },
    clickhouse_settings: { output_format_json_quote_64bit_integers: 1 },
  });
}

export async function buildApi(
  config: Readonly<Config>,
  ch: ClickHouseClient,
  register?: (app: FastifyInstance) => void | Promise<void>,
): Promise<FastifyInstance> {
  const app = await build({ config, ch, log: createLogger('api', 'silent') });
  if (register) await register(app);
  await app.ready();
  return app;
}

export function as(role: TestRole | 'anonymous', opts: InjectOptions): InjectOptions {
  if (role === 'anonymous') return opts;
  return { ...opts, headers: { ...opts.headers, authorization: `Bearer ${TOKENS[role]}` } };
}
