// What every route plugin of the API receives: configuration, the ClickHouse client, the database,
// the logger and the status publisher (writes announce their changes on leakwatch.status.v1).
import type { ClickHouseClient } from '#shared/clickhouse/client.js';
import type { Config } from '#shared/config.js';
import type { Logger } from '#shared/log.js';
import type { StatusPublisher } from './status-publisher.js';

export interface ApiContext {
  config: Readonly<Config>;
  ch: ClickHouseClient;
  /** ClickHouse database (config.clickhouse.database), already a checked identifier. */
  db: string;
  log: Logger;
  status: StatusPublisher;
}
