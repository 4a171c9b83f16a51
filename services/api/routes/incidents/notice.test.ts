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
  renderNotice,
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
