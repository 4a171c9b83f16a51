// Every ClickHouse call the API makes carries max_execution_time (config api.queryTimeoutS): the
// client handed to build() is wrapped once, so routes added later get the bound without doing anything.
// A query over it is stopped by the server (TIMEOUT_EXCEEDED) and answered 503 LW_ERR_CLICKHOUSE_UNAVAILABLE.
import type { ClickHouseClient, ClickHouseSettings } from '#shared/clickhouse/client.js';

const WRAPPED = ['query', 'command', 'insert', 'exec'] as const;

export function withSettings(ch: ClickHouseClient, settings: ClickHouseSettings): ClickHouseClient {
  return new Proxy(ch, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (typeof v !== 'function') return v;
      if (!(WRAPPED as readonly (string | symbol)[]).includes(prop)) return v.bind(target);
      return (params: { clickhouse_settings?: ClickHouseSettings }) =>
        v.call(target, {
          ...params,
          // the caller's own settings win (a route may need a longer or shorter bound)
          clickhouse_settings: { ...settings, ...params.clickhouse_settings },
        });
    },
  });
}
