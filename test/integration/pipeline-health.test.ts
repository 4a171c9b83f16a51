// The pipeline's health rules and the example Alertmanager routing are valid and their unit tests
// pass: promtool check rules / check config, promtool test rules, amtool check-config. Installs the
// Debian packages first when missing (deploy/local/observability.sh, as root).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { PACKAGE_ROOT } from '#shared/paths.js';

const tools: Record<string, string> = {};

function run(cmd: string, args: string[], cwd = PACKAGE_ROOT): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8' });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout + r.stderr;
}

before(() => {
  const out = run('bash', [join(PACKAGE_ROOT, 'deploy/local/observability.sh'), 'ensure']);
  for (const line of out.split('\n')) {
    const m = /^([a-z-]+)=(\/.+)$/.exec(line.trim());
    if (m) tools[m[1] as string] = m[2] as string;
  }
  assert.ok(tools['promtool'] && tools['amtool'], out);
});

test('promtool check rules and check config', () => {
  assert.match(
    run(tools['promtool'] as string, ['check', 'rules', 'deploy/prometheus/rules/leakwatch.rules.yml']),
    /SUCCESS: \d+ rules found/,
  );
  assert.match(
    run(tools['promtool'] as string, ['check', 'config', 'deploy/prometheus/prometheus.yml']),
    /valid prometheus config/,
  );
});

test('promtool test rules: each health rule fires on its input series and stays quiet otherwise', () => {
  const out = run(
    tools['promtool'] as string,
    ['test', 'rules', 'leakwatch.rules.test.yml'],
    join(PACKAGE_ROOT, 'deploy/prometheus/rules'),
  );
  assert.match(out, /SUCCESS/);
});

test('amtool check-config: the example Alertmanager routing and the compose one', () => {
  assert.match(
    run(tools['amtool'] as string, ['check-config', 'deploy/alertmanager/alertmanager.yml']),
    /SUCCESS/,
  );
  assert.match(
    run(tools['amtool'] as string, ['check-config', 'deploy/compose/alertmanager.yml']),
    /SUCCESS/,
  );
});

test('every metric the rules name exists in a service', () => {
  const rules = run('cat', ['deploy/prometheus/rules/leakwatch.rules.yml']);
  const src = run('grep', ['-rhoE', "name: 'leakwatch_[a-z_]+'", 'services']);
  const known = new Set([...src.matchAll(/leakwatch_[a-z_]+/g)].map((m) => m[0]));
  for (const name of new Set([...rules.matchAll(/\bleakwatch_[a-z_]+/g)].map((m) => m[0]))) {
    const base = name.replace(/_(bucket|sum|count)$/, '');
    assert.ok(known.has(base), `${name} is not a metric any service declares`);
  }
  // the regex-named ones: leakwatch_(detector|archiver|notifier)_consumer_lag / _dead_letters_total
  for (const svc of ['detector', 'archiver', 'notifier'])
    for (const m of ['consumer_lag', 'dead_letters_total'])
      assert.ok(known.has(`leakwatch_${svc}_${m}`), `${svc} ${m}`);
});
