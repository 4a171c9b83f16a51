// TypeScript types generated from the .avsc files, so they cannot drift from the schemas:
// gen-types.test.ts fails when a schema changed and generated/ was not regenerated.
//
//   npx tsc -p . && node dist/services/shared/avro/gen-types.js
//
// writes services/shared/avro/generated/<name>.ts for every schemas/avro/<name>.avsc (history/ is
// not generated: old versions are only needed as writer schemas, never as TypeScript types).

import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PACKAGE_ROOT, SCHEMAS_DIR } from '#shared/paths.js';

export const REGENERATE_COMMAND = 'npx tsc -p . && node dist/services/shared/avro/gen-types.js';
export const GENERATED_DIR = join(PACKAGE_ROOT, 'services', 'shared', 'avro', 'generated');

const LINE_WIDTH = 110; // biome.json formatter.lineWidth: keep generated files biome-stable

const PRIMITIVES: Readonly<Record<string, string>> = {
  null: 'null',
  boolean: 'boolean',
  int: 'number',
  long: 'number',
  float: 'number',
  double: 'number',
  bytes: 'Buffer',
  string: 'string',
};

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

function isObject(v: Json | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: Json | undefined): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function docComment(lines: string[], indent: string): string[] {
  const text = lines
    .filter((l) => l.trim() !== '')
    .flatMap((l) => l.trim().split(/\r?\n/))
    .map((l) => l.trim().replaceAll('*/', '*\\/'));
  if (text.length === 0) return [];
  if (text.length === 1) return [`${indent}/** ${text[0]} */`];
  return [
    `${indent}/**`,
    ...text.map((l) => (l === '' ? `${indent} *` : `${indent} * ${l}`)),
    `${indent} */`,
  ];
}

class Renderer {
  /** Declarations in order of first appearance (the top-level type first). */
  readonly decls: string[] = [];
  /** Avro full name -> TypeScript name. */
  readonly #named = new Map<string, string>();
  /** TypeScript name -> Avro full name, to refuse two full names with one short name. */
  readonly #owners = new Map<string, string>();

  type(schema: Json, ns: string, where: string): string {
    if (typeof schema === 'string') return PRIMITIVES[schema] ?? this.#reference(schema, ns, where);
    if (Array.isArray(schema)) return this.#union(schema, ns, where);
    if (!isObject(schema)) throw new Error(`gen-types: ${where}: not a schema: ${JSON.stringify(schema)}`);
    const t = schema['type'];
    if (t === undefined) throw new Error(`gen-types: ${where}: schema without "type"`);
    if (typeof t !== 'string') return this.type(t, ns, where);
    switch (t) {
      case 'record':
      case 'error':
        return this.#record(schema, ns, where);
      case 'enum':
        return this.#enum(schema, ns, where);
      case 'fixed': {
        const n = this.#declare(schema, ns, where);
        const doc = [str(schema['doc']) ?? '', `fixed, ${String(schema['size'])} bytes`];
        this.decls.push([...docComment(doc, ''), `export type ${n.short} = Buffer;`].join('\n'));
        return n.short;
      }
      case 'array': {
        const items = this.type(schema['items'] ?? null, ns, `${where}[]`);
        return items.includes(' ') ? `(${items})[]` : `${items}[]`;
      }
      case 'map':
        return `Record<string, ${this.type(schema['values'] ?? null, ns, `${where}{}`)}>`;
      default:
        // Primitives, with or without a logicalType: timestamp-millis stays a number (epoch ms).
        return PRIMITIVES[t] ?? this.#reference(t, ns, where);
    }
  }

  #union(branches: Json[], ns: string, where: string): string {
    const isNull = (b: Json) => b === 'null' || (isObject(b) && b['type'] === 'null');
    const others = branches.filter((b) => !isNull(b));
    if (others.length > 1) {
      // avsc would wrap such a union ({string: 'x'}) unless its branches are distinguishable; keep
      // the schemas to ["null", X] rather than generating types that may not match the values.
      throw new Error(
        `gen-types: ${where}: only ["null", X] unions are supported, got ${JSON.stringify(branches)}`,
      );
    }
    const rendered = others.length === 1 ? this.type(others[0]!, ns, where) : undefined;
    if (rendered === undefined) return 'null';
    return others.length < branches.length ? `${rendered} | null` : rendered;
  }

  #fullName(schema: JsonObject, ns: string, where: string): { full: string; ns: string; short: string } {
    const name = str(schema['name']);
    if (!name) throw new Error(`gen-types: ${where}: named type without a name`);
    const space = name.includes('.') ? '' : (str(schema['namespace']) ?? ns);
    const full = space ? `${space}.${name}` : name;
    const dot = full.lastIndexOf('.');
    return { full, ns: dot < 0 ? '' : full.slice(0, dot), short: full.slice(dot + 1) };
  }

  #declare(schema: JsonObject, ns: string, where: string): { ns: string; short: string } {
    const n = this.#fullName(schema, ns, where);
    if (this.#named.has(n.full)) throw new Error(`gen-types: ${where}: ${n.full} is defined twice`);
    const owner = this.#owners.get(n.short);
    if (owner !== undefined) {
      throw new Error(`gen-types: ${where}: ${n.full} and ${owner} would both be named ${n.short}`);
    }
    this.#named.set(n.full, n.short);
    this.#owners.set(n.short, n.full);
    return n;
  }

  #reference(name: string, ns: string, where: string): string {
    const full = name.includes('.') || !ns ? name : `${ns}.${name}`;
    const found = this.#named.get(full) ?? this.#named.get(name);
    if (found === undefined) throw new Error(`gen-types: ${where}: unknown type ${name}`);
    return found;
  }

  #record(schema: JsonObject, ns: string, where: string): string {
    const n = this.#declare(schema, ns, where);
    const slot = this.decls.push('') - 1; // reserve: the record comes before the types it contains
    const fields = schema['fields'];
    if (!Array.isArray(fields)) throw new Error(`gen-types: ${n.short}: record without fields`);
    const lines = [...docComment([str(schema['doc']) ?? ''], ''), `export interface ${n.short} {`];
    for (const field of fields) {
      if (!isObject(field)) throw new Error(`gen-types: ${n.short}: bad field ${JSON.stringify(field)}`);
      const name = str(field['name']);
      if (!name) throw new Error(`gen-types: ${n.short}: field without a name`);
      const type = this.type(field['type'] ?? null, n.ns, `${n.short}.${name}`);
      const ft = field['type'];
      const logical = isObject(ft) ? str(ft['logicalType']) : undefined;
      const doc = [str(field['doc']) ?? ''];
      if (logical) doc.push(`logicalType ${logical}: kept as a plain ${type}`);
      lines.push(...docComment(doc, '  '), `  ${name}: ${type};`);
    }
    lines.push('}');
    this.decls[slot] = lines.join('\n');
    return n.short;
  }

  #enum(schema: JsonObject, ns: string, where: string): string {
    const n = this.#declare(schema, ns, where);
    const symbols = schema['symbols'];
    if (!Array.isArray(symbols) || symbols.length === 0 || !symbols.every((s) => typeof s === 'string')) {
      throw new Error(`gen-types: ${n.short}: enum needs a non-empty list of symbols`);
    }
    const literals = symbols.map((s) => `'${s}'`);
    const oneLine = `export type ${n.short} = ${literals.join(' | ')};`;
    const body =
      oneLine.length <= LINE_WIDTH
        ? oneLine
        : [
            `export type ${n.short} =`,
            ...literals.map((l, i) => `  | ${l}${i === literals.length - 1 ? ';' : ''}`),
          ].join('\n');
    this.decls.push([...docComment([str(schema['doc']) ?? ''], ''), body].join('\n'));
    return n.short;
  }
}

/**
 * TypeScript declarations for an Avro schema (parsed .avsc JSON): records become interfaces,
 * enums string-literal unions, ["null", X] `X | null`, arrays `X[]`, maps `Record<string, X>`,
 * int/long/float/double `number`, bytes `Buffer`, fixed a named `Buffer` alias; docs become /** *\/ comments.
 */
export function renderTypes(schemaJson: unknown): string {
  const r = new Renderer();
  r.type(schemaJson as Json, '', 'schema');
  return `${r.decls.join('\n\n')}\n`;
}

export interface GeneratedFile {
  /** e.g. schemas/avro/alert.avsc */
  readonly schema: string;
  /** absolute path of the .ts file */
  readonly path: string;
  readonly content: string;
}

/** What gen-types writes: one module per schemas/avro/*.avsc (not history/). */
export function generatedFiles(): GeneratedFile[] {
  const dir = join(SCHEMAS_DIR, 'avro');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.avsc'))
    .sort()
    .map((file) => {
      const schema = `schemas/avro/${file}`;
      const json = JSON.parse(readFileSync(join(dir, file), 'utf8')) as unknown;
      const header =
        `// generated from ${schema} by gen-types; do not edit.\n` +
        `// To change these types, edit the schema, then run: ${REGENERATE_COMMAND}\n\n`;
      return {
        schema,
        path: join(GENERATED_DIR, file.replace(/\.avsc$/, '.ts')),
        content: header + renderTypes(json),
      };
    });
}

function main(): void {
  mkdirSync(GENERATED_DIR, { recursive: true });
  for (const f of generatedFiles()) {
    writeFileSync(f.path, f.content);
    console.log(`gen-types: ${f.schema} -> ${f.path}`);
  }
}

if (process.argv[1] !== undefined && pathToFileURL(resolve(process.argv[1])).href === import.meta.url) main();
