// The breach-notice draft: Markdown from a template with `{{name}}` placeholders (the built-in one,
// or incidents.noticeTemplateFile). Plain replacement, no template engine: the facts are
// pre-rendered strings, and a placeholder the template names but we do not know is an error at
// start (a typo must not silently print nothing in a legal notice). Only facts leakwatch holds go
// in: rules, titles (principals appear as the collector left them: tokens for PHI), times, kinds
// of data, counts, deadlines and the timeline's actions. Responders' free-text notes are left out.
import { readFileSync } from 'node:fs';
import { NoticeTemplateInvalid } from '#shared/errors.js';

export const NOTICE_FIELDS = [
  'incident_id',
  'tenant',
  'title',
  'status',
  'severity',
  'what_happened',
  'rules',
  'first_seen',
  'last_seen',
  'discovered_at',
  'confirmed_at',
  'data_kinds',
  'records',
  'subjects',
  'denied_records',
  'bulk_reads',
  'phi_in_urls',
  'deadlines',
  'timeline',
  'generated_at',
] as const;

export type NoticeFacts = Record<(typeof NOTICE_FIELDS)[number], string>;

export const DEFAULT_NOTICE_TEMPLATE = `# Notice of a data security incident (draft)

Incident {{incident_id}} ({{tenant}}), status {{status}}, severity {{severity}}.
Draft generated {{generated_at}}. Review every statement before it is sent.

## What happened

{{what_happened}}

Detections: {{rules}}.

## When it happened and when it was discovered

- Unusual access observed from {{first_seen}} to {{last_seen}}.
- Discovered {{discovered_at}} (when monitoring raised it; the notification clock runs from this time).
- Confirmed by a responder: {{confirmed_at}}.

## What information was involved

Kinds of records: {{data_kinds}}.
Records disclosed: {{records}}; individuals whose records were disclosed: {{subjects}}.
Requests refused (not disclosed): {{denied_records}} records.
Bulk reads that name no record (list pages, exports): {{bulk_reads}}.
Personal data written into request URLs (kept in web logs, sent on to other sites in Referer headers): {{phi_in_urls}}.

## Deadlines

{{deadlines}}

## What we have done

{{timeline}}
`;

const PLACEHOLDER = /\{\{\s*([a-z_]+)\s*\}\}/g;

/** Checks the template's placeholders; throws LW_ERR_INCIDENT_NOTICE_TEMPLATE naming the unknown ones. */
export function checkTemplate(template: string, source: string): string {
  const known = new Set<string>(NOTICE_FIELDS);
  const unknown = [...template.matchAll(PLACEHOLDER)].map((m) => m[1]!).filter((n) => !known.has(n));
  if (unknown.length)
    throw NoticeTemplateInvalid(
      source,
      `unknown placeholders ${[...new Set(unknown)].join(', ')}; known: ${NOTICE_FIELDS.join(', ')}`,
    );
  return template;
}

export function loadNoticeTemplate(file: string | undefined): string {
  if (file === undefined) return DEFAULT_NOTICE_TEMPLATE;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw NoticeTemplateInvalid(file, (err as Error).message, { cause: err });
  }
  return checkTemplate(text, file);
}

export function renderNotice(template: string, facts: NoticeFacts): string {
  return template.replace(PLACEHOLDER, (_m, name: string) => facts[name as keyof NoticeFacts] ?? '');
}

// ---- facts rendered for the notice (pure: unit-tested in notice.test.ts) ----------------------

/**
 * What varies between the titles of one kind of detection: a stand-alone number (not part of a
 * token, an address or a word: `tok_…1a2`, `10.0.0.1`, `V1`), or a principal (`ip:…`, `user:…`).
 */
const SLOT_IN_TITLE =
  /(?<![\w.:/-])\d+(?:\.\d+)?(?![\w.:/])|\b(?:ip|user|session|api_key|db_user|client_ip):[^\s),;]+/g;
/** Principals named when several share a line; the rest are counted. */
const PRINCIPALS_NAMED = 2;

function renderSlot(values: readonly string[]): string {
  const distinct = [...new Set(values)];
  if (distinct.length === 1) return distinct[0]!;
  if (/^\d/.test(distinct[0]!)) {
    const nums = distinct.map(Number);
    return `${Math.min(...nums)}-${Math.max(...nums)}`;
  }
  const noun = distinct.every((v) => v.startsWith('ip:')) ? 'addresses' : 'principals';
  const named = distinct.slice(0, PRINCIPALS_NAMED).join(', ');
  const more = distinct.length - PRINCIPALS_NAMED;
  return `${distinct.length} ${noun} (${more > 0 ? `${named} and ${more} more` : named})`;
}

/**
 * One line per kind of detection. An incident gathers many alerts, and their titles often differ
 * only in figures ("… (26 ids)", "… (115 ids)") or, for a distributed walk, in the principal: a
 * notice listing them one by one repeats itself. Titles equal but for those share a line, with each
 * figure's range, the principals counted, and the number of detections.
 */
export function whatHappened(titles: readonly string[], fallback: string): string {
  const groups = new Map<string, { parts: string[]; values: string[][]; count: number }>();
  for (const title of titles) {
    const slots = title.match(SLOT_IN_TITLE) ?? [];
    const parts = title.split(SLOT_IN_TITLE);
    // a number and a principal in one place are different kinds of line
    const key = parts.join('\u0000') + slots.map((v) => (/^\d/.test(v) ? '#' : '@')).join('');
    let g = groups.get(key);
    if (g === undefined) {
      g = { parts, values: slots.map(() => []), count: 0 };
      groups.set(key, g);
    }
    g.count++;
    for (let i = 0; i < slots.length; i++) g.values[i]!.push(slots[i]!);
  }
  const lines = [...groups.values()].map((g) => {
    let text = g.parts[0]!;
    g.values.forEach((vs, i) => {
      text += renderSlot(vs) + g.parts[i + 1]!;
    });
    return `- ${text}${g.count > 1 ? ` — ${g.count} detections` : ''}`;
  });
  return lines.join('\n') || `- ${fallback}`;
}

/**
 * The individuals line. Only records of a person kind (incidents.subjectKinds) count individuals;
 * records of other kinds (orders, appointments, recordings) concern people the logs do not name,
 * so "0" would understate a notice: say what is known instead.
 */
export function subjectsFact(
  subjects: number,
  records: number,
  kinds: readonly string[],
  subjectKinds: readonly string[],
  phiInUrlRequests = 0,
): string {
  const person = new Set(subjectKinds);
  const other = kinds.filter((k) => !person.has(k));
  const why: string[] = [];
  if (records > 0 && other.length > 0)
    why.push(
      `records of kind ${other.join(', ')} do not name the person they concern: look them up from the affected-records list`,
    );
  if (phiInUrlRequests > 0)
    why.push(
      phiInUrlRequests === 1
        ? '1 request carried personal data in its URL, about at least one person'
        : `${phiInUrlRequests} requests carried personal data in their URLs, each about at least one person`,
    );
  if (why.length === 0) return String(subjects);
  return subjects === 0
    ? `not determined from the logs (${why.join('; ')})`
    : `at least ${subjects} (${why.join('; ')})`;
}

/** The PHI-in-URL line: kinds with their request and principal counts, or `none`. */
export function phiInUrlsFact(
  rows: readonly { kind: string; requests: number; principals: number }[],
): string {
  if (rows.length === 0) return 'none';
  return rows
    .map(
      (r) =>
        `${r.kind} in ${r.requests} request${r.requests === 1 ? '' : 's'} from ${r.principals} principal${r.principals === 1 ? '' : 's'}`,
    )
    .join(', ');
}

export interface TimelineFactEntry {
  at: number;
  actor: string;
  action: string;
  status: string;
}

/**
 * The timeline as notice lines. The grouping service adds each alert as it comes (`join`); a run of
 * those is one line ("11 detections added by incidents from … to …"), people's actions one each.
 */
export function timelineFact(entries: readonly TimelineFactEntry[], iso: (ms: number) => string): string {
  const out: string[] = [];
  for (let i = 0; i < entries.length; ) {
    const e = entries[i]!;
    let j = i + 1;
    if (e.action === 'join')
      while (j < entries.length && entries[j]!.action === 'join' && entries[j]!.actor === e.actor) j++;
    if (j - i > 1) {
      out.push(
        `- ${iso(e.at)} to ${iso(entries[j - 1]!.at)}: ${j - i} detections added by ${e.actor} (status ${entries[j - 1]!.status})`,
      );
    } else {
      out.push(`- ${iso(e.at)}: ${e.action} by ${e.actor} (status ${e.status})`);
    }
    i = j;
  }
  return out.join('\n') || '- nothing yet';
}
