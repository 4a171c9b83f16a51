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
