import assert from 'node:assert/strict';
import { test } from 'node:test';
import { apiConfig, as, buildApi, unreachableClickHouse } from '../../test/support/api.js';
import { timeParam } from './time-params.js';

test('ISO dates and zoned date-times become epoch ms; a date is a whole UTC day', () => {
  assert.equal(timeParam('from', '2015-05-17'), String(Date.UTC(2015, 4, 17)));
  assert.equal(
    timeParam('to', '2015-05-17'),
    String(Date.UTC(2015, 4, 18) - 1),
    '`to` is included: the day’s last ms',
  );
  assert.equal(timeParam('from', '2015-05-17T10:00:00Z'), String(Date.UTC(2015, 4, 17, 10)));
  assert.equal(timeParam('from', '2015-05-17T12:00:00+02:00'), String(Date.UTC(2015, 4, 17, 10)));
  assert.equal(timeParam('to', '2015-05-17T10:00:00.250Z'), String(Date.UTC(2015, 4, 17, 10, 0, 0, 250)));
  assert.equal(timeParam('from', '2015-05-17T10:00Z'), String(Date.UTC(2015, 4, 17, 10)));
  // left as they are (epoch ms already, or refused by the schema)
  for (const v of ['1431860340000', '2015-05-17T10:00:00', '2015-02-31', '17/05/2015', 'yesterday', ''])
    assert.equal(timeParam('from', v), v);
});

test('routes take ISO bounds; a bound without a zone is a 400 saying what is accepted', async (t) => {
  const app = await buildApi(apiConfig(), unreachableClickHouse());
  t.after(() => app.close());
  // past validation: the (closed) store answers 503
  const iso = await app.inject(
    as('viewer', { url: '/api/v1/access?resource_id=42&from=2015-05-17&to=2015-05-18T00:00:00Z' }),
  );
  assert.equal(iso.statusCode, 503, iso.body);
  const alerts = await app.inject(as('viewer', { url: '/api/v1/alerts?from=2015-05-17&to=2015-05-17' }));
  assert.equal(alerts.statusCode, 503, alerts.body);
  // the range check sees the converted values
  const reversed = await app.inject(as('viewer', { url: '/api/v1/alerts?from=2015-05-18&to=2015-05-17' }));
  assert.equal(reversed.statusCode, 400);
  assert.match(reversed.json().message, /from must be <= to/);
  const local = await app.inject(
    as('viewer', { url: '/api/v1/access?resource_id=42&from=2015-05-17T10:00:00&to=2015-05-18' }),
  );
  assert.equal(local.statusCode, 400);
  assert.match(
    local.json().message,
    /querystring\/from must be integer: epoch ms, or an ISO 8601 date or date-time with a zone/,
  );
});
