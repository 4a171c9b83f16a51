// The database part of normalisation: an AccessRecord of kind `db` → route, resource and PHI findings.
//
//   route          `<OPERATION> <tables joined by ','>` (`SELECT wp_postmeta,wp_posts`, `CONNECT`):
//                  operation = record.dbOperation ?? the statement's verb ?? `UNKNOWN`, upper-cased;
//                  tables = record.tables when the log names them, else the statement's (lowercased)
//   resource_kind  the first table (in that order) with a kind in the table map (`wp_users` → user,
//                  `sales_order` → order); a table is looked up without its schema (`shop.orders`)
//                  and, failing that, without a WordPress-style prefix (`wp_`, `wp2_`). A statement
//                  that names a resource id on a table outside the map is an id route all the same:
//                  its kind is the first table's name singularised (`wp_clinic_referrals` →
//                  clinic_referral), as route.ts does for `/referrals/{id}`
//   resource_id    the literal compared to an `id` / `*_id` column (summarizeSql), kept when it is an
//                  id (digits, UUID, hex, `[A-Za-z0-9_-]` with a digit and no PHI), else tokenised
//   template       literals replaced by `?` (summarizeSql), then PHI-redacted (identifiers, kept
//                  placeholders) — the raw statement never leaves
//   findings       `phi_in_sql:<kind>` for PHI in the literals. Literals are scanned as free text, and
//                  when the template pairs them with a column (`dob = ?`, `billing_phone LIKE ?`) or a
//                  WordPress meta key (`meta_key = '_billing_phone' AND meta_value = ?`) as the value
//                  of that name, so the named detectors (dob, mrn, icd10, phone, name) read them too.

import type { AccessRecord } from '../parsers/types.js';
import type { NormalizeOptions } from './options.js';
import type { Redactor } from './redact.js';
import { isIdLike, kindOfCollection, tokenKind } from './route.js';
import { summarizeSql } from './sql.js';

export interface DbSummary {
  operation: string;
  route: string;
  resourceId: string | null;
  resourceKind: string | null;
  /** Redacted template, or null without SQL. */
  template: string | null;
  findings: string[];
}

export function summarizeDb(record: AccessRecord, redactor: Redactor, options: NormalizeOptions): DbSummary {
  const s = record.sql !== null && record.sql !== '' ? summarizeSql(record.sql) : null;
  const operation = (record.dbOperation ?? s?.operation ?? 'UNKNOWN').toUpperCase();
  const tables =
    record.tables.length > 0 ? record.tables.map((t) => t.toLowerCase()) : s === null ? [] : s.tables;
  const route = tables.length > 0 ? `${operation} ${tables.join(',')}` : operation;
  let resourceKind: string | null = null;
  for (const t of tables) {
    resourceKind = tableKind(t, options.tableKinds);
    if (resourceKind !== null) break;
  }
  if (s === null) return { operation, route, resourceId: null, resourceKind, template: null, findings: [] };

  const kinds = new Set<string>();
  const names = s.literals.length > 0 ? literalNames(s.template, s.literals) : null;
  for (let i = 0; i < s.literals.length; i++) {
    for (const k of redactor.redactText(s.literals[i] as string, names?.[i] ?? null).kinds) kinds.add(k);
  }
  const findings: string[] = [];
  for (const d of redactor.detectors) if (kinds.delete(d.kind)) findings.push(`phi_in_sql:${d.kind}`);
  for (const k of kinds) findings.push(`phi_in_sql:${k}`);
  if (resourceKind === null && s.resourceId !== null && tables.length > 0)
    resourceKind = derivedTableKind(tables[0] as string);
  return {
    operation,
    route,
    resourceId: s.resourceId === null ? null : safeId(s.resourceId, redactor),
    resourceKind,
    template: redactor.redactText(s.template).text,
    findings,
  };
}

/** Kind of a table: exact, then without schema, then without a `prefix_` (WordPress table prefix). */
export function tableKind(table: string, kinds: ReadonlyMap<string, string>): string | null {
  let t = table.replace(/[`"[\]]/g, '');
  const exact = kinds.get(t);
  if (exact !== undefined) return exact;
  const dot = t.lastIndexOf('.');
  if (dot !== -1) {
    t = t.slice(dot + 1);
    const k = kinds.get(t);
    if (k !== undefined) return k;
  }
  const us = t.indexOf('_');
  if (us > 0 && us <= 8) return kinds.get(t.slice(us + 1)) ?? null;
  return null;
}

/** Kind of a table outside the map: without schema and WordPress-style prefix, singularised. */
export function derivedTableKind(table: string): string | null {
  let t = table.replace(/[`"[\]]/g, '').toLowerCase();
  const dot = t.lastIndexOf('.');
  if (dot !== -1) t = t.slice(dot + 1);
  t = t.replace(/^wp\d*_/, '');
  return kindOfCollection(t);
}

function safeId(v: string, redactor: Redactor): string {
  if (isIdLike(v) || tokenKind(v) !== null) return v;
  const r = redactor.redactText(v);
  if (r.kinds.length === 0 && /^[A-Za-z0-9_-]{1,64}$/.test(v) && /\d/.test(v)) return v;
  if (r.kinds.length === 1 && tokenKind(r.text) !== null) return r.text;
  return redactor.token('q', v);
}

/**
 * For each literal (in order), the column or meta key it is compared to, when the template says so
 * unambiguously: one `?` per literal (no collapsed `?+` lists), `<name> = ?` / `<name> LIKE ?`.
 */
export function literalNames(template: string, literals: readonly string[]): Array<string | null> | null {
  if (template.indexOf('?+') !== -1) return null;
  const marks: number[] = [];
  for (let i = template.indexOf('?'); i !== -1; i = template.indexOf('?', i + 1)) marks.push(i);
  if (marks.length !== literals.length) return null;
  const out: Array<string | null> = [];
  let metaKey: string | null = null;
  for (let k = 0; k < marks.length; k++) {
    const col = columnBefore(template, marks[k] as number);
    if (col === 'meta_key') {
      metaKey = (literals[k] as string).toLowerCase();
      out.push(null);
    } else if (col === 'meta_value' && metaKey !== null) {
      out.push(metaKey);
      metaKey = null;
    } else out.push(col);
  }
  return out;
}

const IDENT = /[A-Za-z0-9_$`"]/;

/** `… pm.meta_value = ?` → `meta_value` (lowercase, unquoted, table alias dropped); else null. */
function columnBefore(t: string, at: number): string | null {
  let i = at - 1;
  while (i >= 0 && t[i] === ' ') i--;
  if (t[i] === '=') {
    i--;
    if (t[i] === '!' || t[i] === '<' || t[i] === '>') return null;
  } else if (i >= 3 && t.slice(i - 3, i + 1).toUpperCase() === 'LIKE') i -= 4;
  else return null;
  while (i >= 0 && t[i] === ' ') i--;
  const end = i + 1;
  while (i >= 0 && IDENT.test(t[i] as string)) i--;
  if (end - (i + 1) === 0) return null;
  return t
    .slice(i + 1, end)
    .replace(/[`"]/g, '')
    .toLowerCase();
}
