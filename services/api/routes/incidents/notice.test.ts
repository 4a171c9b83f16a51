import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  DEFAULT_NOTICE_TEMPLATE,
  loadNoticeTemplate,
  NOTICE_FIELDS,
  type NoticeFacts,
  phiInUrlsFact,
  renderNotice,
  subjectsFact,
  timelineFact,
  whatHappened,
} from './notice.js';

const facts = Object.fromEntries(NOTICE_FIELDS.map((f) => [f, `<${f}>`])) as NoticeFacts;

describe('notice template', () => {
  it('the built-in template uses every fact and leaves no placeholder', () => {
    const text = renderNotice(DEFAULT_NOTICE_TEMPLATE, facts);
    for (const f of NOTICE_FIELDS) if (f !== 'title') assert.ok(text.includes(`<${f}>`), f);
    assert.ok(!text.includes('{{'));
  });
  it('a template file is used; an unknown placeholder or a missing file fails at load', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-notice-'));
    const good = join(dir, 'good.md');
    writeFileSync(good, 'Records: {{ records }} of {{tenant}}');
    assert.equal(renderNotice(loadNoticeTemplate(good), facts), 'Records: <records> of <tenant>');
    const bad = join(dir, 'bad.md');
    writeFileSync(bad, '{{records}} {{patient_name}}');
    assert.throws(
      () => loadNoticeTemplate(bad),
      (e: Error & { code?: string }) => {
        assert.equal(e.code, 'LW_ERR_INCIDENT_NOTICE_TEMPLATE');
        assert.match(e.message, /patient_name/);
        return true;
      },
    );
    assert.throws(() => loadNoticeTemplate(join(dir, 'missing.md')), /LW_ERR|unusable/);
    assert.equal(loadNoticeTemplate(undefined), DEFAULT_NOTICE_TEMPLATE);
  });
});

describe('notice facts', () => {
  it('titles equal but for their figures share one line with each figure’s range', () => {
    const walk = (n: number) =>
      `Sequential ID walk on /api/v1/appointments/{id} by session:tok_session_f6e6d1aa33f01655 (${n} ids)`;
    const text = whatHappened(
      [
        walk(26),
        walk(115),
        walk(70),
        'Egress of 4.5 MB in the last 2 h by user:erp-reports',
        'Egress of 12.25 MB in the last 2 h by user:erp-reports',
        'PHI in URL (card) on /admin/api/{version}/orders/{id}.json from ip:192.0.2.18',
        'PHI in URL (card) on /admin/api/{version}/orders/{id}.json from ip:192.0.2.19',
      ],
      'fallback',
    );
    assert.deepEqual(text.split('\n'), [
      '- Sequential ID walk on /api/v1/appointments/{id} by session:tok_session_f6e6d1aa33f01655 (26-115 ids) — 3 detections',
      '- Egress of 4.5-12.25 MB in the last 2 h by user:erp-reports — 2 detections',
      // addresses, tokens and versions are not figures; principals that differ are counted
      '- PHI in URL (card) on /admin/api/{version}/orders/{id}.json from 2 addresses (ip:192.0.2.18, ip:192.0.2.19) — 2 detections',
    ]);
    const open = (p: string) => `order served without authentication to ${p} on /rest/V1/orders/{id}`;
    assert.equal(
      whatHappened([open('ip:192.0.2.3'), open('ip:192.0.2.4'), open('user:bob'), open('ip:192.0.2.3')], 'x'),
      '- order served without authentication to 3 principals (ip:192.0.2.3, ip:192.0.2.4 and 1 more) on /rest/V1/orders/{id} — 4 detections',
    );
    assert.equal(whatHappened([], 'the incident title'), '- the incident title');
    assert.equal(whatHappened(['a (1 id)', 'a (1 id)'], 'x'), '- a (1 id) — 2 detections');
  });

  it('individuals: a count only when every disclosed kind names a person', () => {
    const persons = ['patient', 'customer', 'user', 'member'];
    assert.equal(subjectsFact(12, 12, ['patient'], persons), '12');
    assert.equal(subjectsFact(0, 0, [], persons), '0');
    assert.match(
      subjectsFact(0, 137, ['appointment'], persons),
      /^not determined from the logs \(records of kind appointment /,
    );
    assert.match(subjectsFact(3, 40, ['order', 'patient'], persons), /^at least 3 \(records of kind order /);
    // PHI in URLs: people concerned though no record was served
    assert.equal(
      subjectsFact(0, 0, [], persons, 4),
      'not determined from the logs (4 requests carried personal data in their URLs, each about at least one person)',
    );
    assert.match(
      subjectsFact(2, 2, ['patient'], persons, 1),
      /^at least 2 \(1 request carried personal data in its URL, about/,
    );
  });

  it('PHI in URLs: kinds with requests and principals, or none', () => {
    assert.equal(phiInUrlsFact([]), 'none');
    assert.equal(
      phiInUrlsFact([
        { kind: 'card', requests: 1, principals: 1 },
        { kind: 'ssn', requests: 4, principals: 3 },
      ]),
      'card in 1 request from 1 principal, ssn in 4 requests from 3 principals',
    );
  });

  it('a run of automatic joins is one timeline line; people’s actions one each', () => {
    const iso = (ms: number) => `t${ms}`;
    const e = (at: number, action: string, actor = 'incidents', status = 'open') => ({
      at,
      actor,
      action,
      status,
    });
    assert.equal(
      timelineFact(
        [
          e(1, 'open'),
          e(2, 'join'),
          e(3, 'join'),
          e(4, 'join'),
          e(5, 'status', 'alice', 'confirmed'),
          e(6, 'join'),
        ],
        iso,
      ),
      [
        '- t1: open by incidents (status open)',
        '- t2 to t4: 3 detections added by incidents (status open)',
        '- t5: status by alice (status confirmed)',
        '- t6: join by incidents (status open)',
      ].join('\n'),
    );
    assert.equal(timelineFact([], iso), '- nothing yet');
  });
});
