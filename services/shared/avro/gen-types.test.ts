import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { test } from 'node:test';
import { PACKAGE_ROOT } from '#shared/paths.js';
import { GENERATED_DIR, generatedFiles, REGENERATE_COMMAND, renderTypes } from './gen-types.js';

test('generated/*.ts are up to date with schemas/avro/*.avsc', () => {
  const files = generatedFiles();
  assert.deepEqual(
    files.map((f) => f.schema),
    [
      'schemas/avro/access-event-batch.avsc',
      'schemas/avro/access-event.avsc',
      'schemas/avro/alert.avsc',
      'schemas/avro/status-change.avsc',
    ],
  );
  for (const f of files) {
    const rel = relative(PACKAGE_ROOT, f.path);
    assert.ok(existsSync(f.path), `${rel} is missing; run: ${REGENERATE_COMMAND}`);
    assert.equal(
      readFileSync(f.path, 'utf8'),
      f.content,
      `${rel} is out of date with ${f.schema} (or was edited by hand); run: ${REGENERATE_COMMAND}`,
    );
    assert.ok(f.content.startsWith(`// generated from ${f.schema} by gen-types; do not edit`));
  }
  assert.equal(relative(PACKAGE_ROOT, GENERATED_DIR), 'services/shared/avro/generated');
});

test('the generated modules declare the expected names', () => {
  const all = generatedFiles()
    .map((f) => f.content)
    .join('\n');
  const names = [...all.matchAll(/^export (?:interface|type) (\w+)/gm)].map((m) => m[1]);
  assert.deepEqual(names, [
    'AccessEventBatch',
    'AccessEvent',
    'SourceKind',
    'Alert',
    'Severity',
    'Entity',
    'AlertStatus',
    'Explanation',
    'BaselineSummary',
    'StatusChange',
    'StatusObjectKind',
  ]);
  assert.match(all, /^ {2}ts: number;$/m);
  assert.match(all, /^ {2}first_seen: number;$/m);
  assert.match(all, /^ {2}baseline: BaselineSummary \| null;$/m);
  assert.match(all, /^export type SourceKind = 'web' \| 'db' \| 'api' \| 'storage';$/m);
});

test('renderTypes covers every Avro shape', () => {
  const out = renderTypes({
    type: 'record',
    name: 'Outer',
    namespace: 'x.y',
    doc: 'Line one\n\nLine two with */ inside',
    fields: [
      { name: 'b', type: 'bytes', doc: 'raw' },
      { name: 'f', type: { type: 'fixed', name: 'Hash', size: 16 } },
      { name: 'h2', type: 'Hash' },
      { name: 'i', type: { type: 'int' } },
      { name: 'fl', type: 'float' },
      { name: 'n', type: 'null' },
      { name: 'tags', type: { type: 'array', items: ['null', 'string'] } },
      { name: 'm', type: { type: 'map', values: { type: 'array', items: 'long' } } },
      {
        name: 'colour',
        type: {
          type: 'enum',
          name: 'Colour',
          namespace: 'a.b',
          doc: 'Paint',
          symbols: [
            'red',
            'green',
            'blue',
            'cyan',
            'magenta',
            'yellow',
            'black',
            'white',
            'orange',
            'purple',
            'teal',
          ],
        },
      },
      {
        name: 'inner',
        type: ['null', { type: 'record', name: 'Inner', fields: [{ name: 'e', type: 'a.b.Colour' }] }],
        default: null,
      },
      { name: 'again', type: 'x.y.Inner' },
      { name: 'day', type: { type: 'int', logicalType: 'date' }, doc: 'Days since epoch' },
    ],
  });
  assert.equal(
    out,
    `/**
 * Line one
 *
 * Line two with *\\/ inside
 */
export interface Outer {
  /** raw */
  b: Buffer;
  f: Hash;
  h2: Hash;
  i: number;
  fl: number;
  n: null;
  tags: (string | null)[];
  m: Record<string, number[]>;
  colour: Colour;
  inner: Inner | null;
  again: Inner;
  /**
   * Days since epoch
   * logicalType date: kept as a plain number
   */
  day: number;
}

/** fixed, 16 bytes */
export type Hash = Buffer;

/** Paint */
export type Colour =
  | 'red'
  | 'green'
  | 'blue'
  | 'cyan'
  | 'magenta'
  | 'yellow'
  | 'black'
  | 'white'
  | 'orange'
  | 'purple'
  | 'teal';

export interface Inner {
  e: Colour;
}
`,
  );
});

test('renderTypes refuses what it cannot type faithfully', () => {
  assert.throws(
    () => renderTypes({ type: 'record', name: 'R', fields: [{ name: 'u', type: ['string', 'long'] }] }),
    /R\.u: only \["null", X\] unions/,
  );
  assert.throws(
    () => renderTypes({ type: 'record', name: 'R', fields: [{ name: 'x', type: 'Nope' }] }),
    /unknown type Nope/,
  );
  assert.throws(
    () =>
      renderTypes({
        type: 'record',
        name: 'a.R',
        fields: [{ name: 'x', type: { type: 'record', name: 'b.R', fields: [] } }],
      }),
    /would both be named R/,
  );
});
