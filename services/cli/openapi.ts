// `leakwatch openapi`: the API's OpenAPI document, built from the same routes the server runs,
// without any store: the ClickHouse client is created but never called (it connects lazily), and
// status changes would go to memory. Nothing listens.
import { ClickHouseLogLevel, createClient } from '@clickhouse/client';
import type { Config } from '#shared/config.js';
import { createLogger } from '#shared/log.js';
import { build } from '../api/app.js';
import { memoryStatusPublisher } from '../api/status-publisher.js';

export async function openapiDocument(config: Readonly<Config>): Promise<Record<string, unknown>> {
  const ch = createClient({ url: config.clickhouse.url, log: { level: ClickHouseLogLevel.OFF } });
  const app = await build({
    config,
    ch,
    log: createLogger('api', 'silent'),
    status: memoryStatusPublisher(),
  });
  try {
    await app.ready();
    return app.swagger() as unknown as Record<string, unknown>;
  } finally {
    await app.close();
    await ch.close();
  }
}
