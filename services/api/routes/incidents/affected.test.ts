import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MemberRow } from '#shared/incidents/model.js';
import { MEMBER_T, memberRow } from '../../../../test/support/incidents.js';
import { affectedActors, affectedCsv } from './affected.js';

const H = 3_600_000;
const T = MEMBER_T;
const cfg = { affectedLookbackMs: 6 * H, affectedWindowMs: 600_000 };

/** The rows these tests start from: an IP actor with a score of 1, seen for a minute. */
function member(over: Partial<MemberRow>): MemberRow {
  return memberRow({
    score: 1,
    entity_type: 'client_ip',
    entity_value: '203.0.113.9',
    last_seen_ms: T + 60_000,
    ...over,
  });
}

describe('affectedActors', () => {
  it('one window per actor: lookback before its first alert, a window after its last', () => {
    const actors = affectedActors(
      [
        member({}),
        member({ alert_id: 'a2', first_seen_ms: T + H, last_seen_ms: T + 2 * H }),
        member({ alert_id: 'b', entity_type: 'user', entity_value: 'u1' }),
        member({ alert_id: 'd', entity_type: 'db_user', entity_value: 'wp' }),
        member({ alert_id: 'r', entity_type: 'route', entity_value: '/c/{id}', resource_kind: 'customer' }),
      ],
      cfg,
    );
    assert.deepEqual(actors, [
      { kind: 'principal', principal: 'ip:203.0.113.9', fromMs: T - 6 * H, toMs: T + 2 * H + 600_000 },
      { kind: 'principal', principal: 'user:u1', fromMs: T - 6 * H, toMs: T + 60_000 + 600_000 },
      { kind: 'db_user', dbUser: 'wp', fromMs: T - 6 * H, toMs: T + 60_000 + 600_000 },
      // a route (many principals): no lookback
      { kind: 'route', route: '/c/{id}', resourceKind: 'customer', fromMs: T, toMs: T + 60_000 + 600_000 },
    ]);
  });
});

describe('affectedActors and break-glass', () => {
  it('a principal with only break-glass alerts counts what it read under emergency access', () => {
    const bg = (id: string, value: string, rule = 'break-glass') =>
      member({ alert_id: id, rule, entity_type: 'user', entity_value: value });
    const actors = affectedActors(
      [bg('a', 'dr.a'), bg('b', 'dr.b'), bg('c', 'dr.b', 'distinct-resource-burst')],
      cfg,
    );
    assert.deepEqual(
      actors.map((a) => [a.kind === 'principal' && a.principal, a.kind === 'principal' && a.emergencyOnly]),
      [
        ['user:dr.a', true],
        // another rule also caught dr.b: everything it read in the window counts
        ['user:dr.b', undefined],
      ],
    );
  });
});

describe('affectedCsv', () => {
  it('RFC 4180 with ISO times, quoting, and no formulas', () => {
    const csv = affectedCsv([
      {
        resource_kind: 'order',
        resource_id: '=HYPERLINK("x")',
        principal: 'ip:1.2.3.4',
        first_access: T,
        last_access: T + 1000,
        requests: 2,
        bytes: 10,
        rows: 0,
      },
    ]);
    assert.equal(
      csv,
      'resource_kind,resource_id,principal,first_access,last_access,requests,bytes,rows\r\n' +
        `order,"'=HYPERLINK(""x"")",ip:1.2.3.4,2026-11-20T09:00:00.000Z,2026-11-20T09:00:01.000Z,2,10,0\r\n`,
    );
  });
});
