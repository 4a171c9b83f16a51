// Parser for Amazon S3 server access logs (`s3`).
//
// One request per line, fields separated by a space, `-` for "unknown / not applicable":
//
//   bucket-owner bucket [time] remote-ip requester request-id operation key "request-uri"
//   http-status error-code bytes-sent object-size total-time turn-around-time "referer"
//   "user-agent" version-id host-id signature-version cipher-suite auth-type host-header
//   tls-version access-point-arn acl-required [source-region]
//
// What real logs contain, and what this parser does with it:
// - S3 has appended fields over the years (host id 2017, access-point ARN 2019, aclRequired 2022,
//   source region 2024): everything after bytes-sent is optional, extra trailing fields are
//   ignored. Fewer than 12 fields (through bytes-sent) is rejected `too_few_fields`.
// - `[01/Aug/2019:00:24:41 +0000]` → tsMs (the nginx $time_local parser).
// - remote IP `-` (AWS service deliveries, lifecycle): clientIp null.
// - requester `-` is an anonymous request: user null, authenticated false. An IAM ARN, a 64-hex
//   canonical user id or a service principal (`svc:delivery.logs.amazonaws.com`) is the user,
//   authenticated true.
// - Lifecycle actions (S3.EXPIRE.OBJECT, S3.TRANSITION*.OBJECT, S3.CREATE.DELETEMARKER,
//   S3.DELETE.UPLOAD, or any `S3.` operation by requester `AmazonS3`) are done by S3 itself, not
//   by a principal: Skipped `lifecycle`.
// - target: the request-URI's path + query when the line has one (`"GET /bucket/key?x=1 HTTP/1.1"`):
//   that is what the client sent, URL-encoded as sent, query included (a query can carry PHI, so
//   it must reach redaction), and it is what the web formats give route normalisation. For
//   virtual-hosted-style requests it does not contain the bucket (attrs.bucket has it). Without a
//   request-URI (`-`, e.g. BATCH.DELETE.OBJECT): `/bucket/key` with the key as logged (S3 logs keys
//   URL-encoded; not decoded here), or `/bucket` when the key is `-`.
// - method: the request-URI's method; else the operation's verb (`REST.GET.OBJECT` → GET,
//   `BATCH.DELETE.OBJECT` → DELETE); else the operation itself. The full operation is
//   attrs.operation.
// - apiKey: the access key id of a presigned URL (`X-Amz-Credential=AKIA…%2F…` or SigV2
//   `AWSAccessKeyId=AKIA…` in the request-URI): an id, not the secret; the signature stays in the
//   target for redaction.
// - status / bytes-sent: `-` → null / 0; anything else non-numeric is rejected (`bad_status`,
//   `bad_bytes`). total-time → durationMs, `-` → null. Other numbers, when garbled, are dropped.
// - Quoted fields end at a `"` followed by a space or the end of the line (S3 does not escape
//   quotes inside user agents); a quoted field cut off at the end of the line keeps what is there.
// - attrs: bucket, bucket_owner, request_id, operation, error_code, object_size, turnaround_ms,
//   version_id, signature_version, cipher_suite, auth_type (`QueryString` = presigned URL),
//   tls_version, access_point_arn, acl_required, source_region. headers.host: the Host header.
// - Blank lines: Skipped `blank`. Lines longer than `maxLineChars` (default 64 Ki; S3 lines are a
//   few KiB at most) are rejected with ParseLineTooLong.
//
// A single pass with indexOf/charCodeAt, no regular expressions; at most 40 fields are split.

import { ParseBadTimestamp, ParseLineTooLong, ParseMalformedLine } from '#shared/errors.js';
import { parseTimeLocal } from '../lib/combined-line.js';
import { cut, maxLineCharsOption, perLineParser } from '../lib/json-lines.js';
import { looksLikeIp } from '../lib/network.js';
import {
  emptyRecord,
  isBlank,
  type LogFormat,
  type RecordParser,
  type RecordResult,
  type Rejected,
  shareOfLines,
} from '../types.js';

export interface S3AccessOptions {
  /** Lines longer than this (UTF-16 code units) are rejected unparsed. Default 64 Ki. */
  maxLineChars: number;
}

export const S3_REJECT_REASONS = [
  'too_few_fields',
  'no_timestamp',
  'bad_operation',
  'bad_status',
  'bad_bytes',
] as const;
type Reason = (typeof S3_REJECT_REASONS)[number];

const MAX_FIELDS = 40;
const SP = 0x20;
const QUOTE = 0x22;

interface Split {
  fields: string[];
  /** Index of the field that was written in `[...]`, -1 if none. */
  bracketed: number;
}

/** Splits a line into fields (see the header for quotes and brackets). Linear. */
export function splitS3Line(line: string, maxFields = MAX_FIELDS): Split {
  const fields: string[] = [];
  let bracketed = -1;
  let end = line.length;
  while (end > 0) {
    const c = line.charCodeAt(end - 1);
    if (c === 0x0a || c === 0x0d || c === SP || c === 0x09) end--;
    else break;
  }
  let p = 0;
  while (p < end && fields.length < maxFields) {
    let c = line.charCodeAt(p);
    while (p < end && (c === SP || c === 0x09)) c = line.charCodeAt(++p);
    if (p >= end) break;
    if (c === 0x5b) {
      const q = line.indexOf(']', p + 1);
      const stop = q === -1 || q >= end ? end : q;
      if (bracketed === -1) bracketed = fields.length;
      fields.push(line.slice(p + 1, stop));
      p = stop + 1;
    } else if (c === QUOTE) {
      let q = line.indexOf('"', p + 1);
      while (q !== -1 && q < end - 1 && line.charCodeAt(q + 1) !== SP) q = line.indexOf('"', q + 1);
      const stop = q === -1 || q >= end ? end : q;
      fields.push(line.slice(p + 1, stop));
      p = stop + 1;
    } else {
      let q = p;
      while (q < end) {
        const ch = line.charCodeAt(q);
        if (ch === SP || ch === 0x09) break;
        q++;
      }
      fields.push(line.slice(p, q));
      p = q;
    }
  }
  return { fields, bracketed };
}

/** `REST.GET.OBJECT`-like: upper-case letters, digits, `_`, at least one `.`, <= 64 chars. */
function isOperation(s: string): boolean {
  if (s.length < 3 || s.length > 64) return false;
  let dot = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x2e) dot = true;
    else if (!((c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x5f)) return false;
  }
  return dot && s.charCodeAt(0) !== 0x2e;
}

const LIFECYCLE_PREFIXES = ['S3.EXPIRE.', 'S3.TRANSITION', 'S3.CREATE.DELETEMARKER', 'S3.DELETE.UPLOAD'];

function isLifecycle(op: string, requester: string): boolean {
  if (!op.startsWith('S3.')) return false;
  if (requester === 'AmazonS3') return true;
  for (const p of LIFECYCLE_PREFIXES) if (op.startsWith(p)) return true;
  return false;
}

const HTTP_VERBS = new Set(['GET', 'PUT', 'POST', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH']);

/** Digits only (<= 15) → number; `-`/absent → dash; else NaN. */
function num(s: string | undefined, dash: number | null): number | null {
  if (s === undefined || s === '-' || s === '') return dash;
  if (s.length > 15) return Number.NaN;
  let v = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i) - 0x30;
    if (c < 0 || c > 9) return Number.NaN;
    v = v * 10 + c;
  }
  return v;
}

function val(s: string | undefined): string | null {
  return s === undefined || s === '-' || s === '' ? null : s;
}

/** The access key id in a presigned request-URI, or null. */
export function presignedKeyId(uri: string): string | null {
  let i = uri.indexOf('X-Amz-Credential=');
  let from: number;
  if (i !== -1) from = i + 17;
  else {
    i = uri.indexOf('AWSAccessKeyId=');
    if (i === -1) return null;
    from = i + 15;
  }
  let j = from;
  while (j < uri.length && j - from < 128) {
    const c = uri.charCodeAt(j);
    if (c === 0x26 || c === 0x2f || c === 0x25 || c === SP || c === 0x23) break;
    j++;
  }
  return j > from ? uri.slice(from, j) : null;
}

function reject(reason: Reason, position: string, text: string): Rejected {
  return { ok: false, error: ParseMalformedLine('s3', reason), position, text: cut(text) };
}

/** Parses one S3 server access log line. Never throws. */
export function parseS3Line(text: string, position: string, maxLineChars = 64 * 1024): RecordResult {
  if (isBlank(text)) return { ok: 'skip', kind: 'blank', position, lines: 1 };
  if (text.length > maxLineChars) {
    return { ok: false, error: ParseLineTooLong(maxLineChars), position, text: cut(text) };
  }
  const { fields: f, bracketed } = splitS3Line(text);
  if (bracketed !== 2) return reject(f.length < 3 ? 'too_few_fields' : 'no_timestamp', position, text);
  if (f.length < 12) return reject('too_few_fields', position, text);
  const timeText = f[2] as string;
  const tsMs = parseTimeLocal(timeText, 0, timeText.length);
  if (Number.isNaN(tsMs)) {
    return { ok: false, error: ParseBadTimestamp(timeText.slice(0, 40)), position, text: cut(text) };
  }
  const op = f[6] as string;
  if (!isOperation(op)) return reject('bad_operation', position, text);
  const status = num(f[9], null);
  if (Number.isNaN(status) || (status !== null && status > 999)) return reject('bad_status', position, text);
  const bytes = num(f[11], 0) as number;
  if (Number.isNaN(bytes)) return reject('bad_bytes', position, text);
  const requester = f[4] as string;
  if (isLifecycle(op, requester)) return { ok: 'skip', kind: 'lifecycle', position, lines: 1 };

  const bucket = f[1] as string;
  const key = val(f[7]);
  const attrs: Record<string, string> = { bucket, operation: op };
  const owner = val(f[0]);
  if (owner !== null) attrs['bucket_owner'] = owner;
  const requestId = val(f[5]);
  if (requestId !== null) attrs['request_id'] = requestId;

  let method: string | null = null;
  let target: string | null = null;
  let apiKey: string | null = null;
  const uri = val(f[8]);
  if (uri !== null) {
    const sp1 = uri.indexOf(' ');
    if (sp1 > 0 && sp1 <= 16) {
      const sp2 = uri.lastIndexOf(' ');
      const t = sp2 > sp1 && uri.startsWith('HTTP/', sp2 + 1) ? uri.slice(sp1 + 1, sp2) : uri.slice(sp1 + 1);
      if (t.length > 0) {
        method = uri.slice(0, sp1);
        target = t;
        apiKey = presignedKeyId(t);
      }
    }
  }
  if (target === null) target = key === null ? `/${bucket}` : `/${bucket}/${key}`;
  if (method === null) {
    const d1 = op.indexOf('.');
    const d2 = op.indexOf('.', d1 + 1);
    const verb = d2 === -1 ? op.slice(d1 + 1) : op.slice(d1 + 1, d2);
    method = HTTP_VERBS.has(verb) ? verb : op;
  }

  const errorCode = val(f[10]);
  if (errorCode !== null) attrs['error_code'] = errorCode;
  const objectSize = num(f[12], null);
  if (objectSize !== null && !Number.isNaN(objectSize)) attrs['object_size'] = String(objectSize);
  let durationMs = num(f[13], null);
  if (durationMs !== null && Number.isNaN(durationMs)) durationMs = null;
  const turn = num(f[14], null);
  if (turn !== null && !Number.isNaN(turn)) attrs['turnaround_ms'] = String(turn);
  const optional: Array<[number, string]> = [
    [17, 'version_id'],
    [19, 'signature_version'],
    [20, 'cipher_suite'],
    [21, 'auth_type'],
    [23, 'tls_version'],
    [24, 'access_point_arn'],
    [25, 'acl_required'],
    [26, 'source_region'],
  ];
  for (const [i, name] of optional) {
    const v = val(f[i]);
    if (v !== null) attrs[name] = v;
  }
  const headers: Record<string, string> = {};
  const host = val(f[22]);
  if (host !== null) headers['host'] = host;

  const remote = val(f[3]);
  const rec = emptyRecord(tsMs, 'storage');
  rec.clientIp = remote;
  rec.user = requester === '-' ? null : requester;
  rec.authenticated = requester !== '-';
  rec.method = method;
  rec.target = target;
  rec.status = status;
  rec.bytesOut = bytes;
  rec.durationMs = durationMs;
  rec.referer = val(f[15]);
  rec.userAgent = val(f[16]);
  rec.apiKey = apiKey;
  rec.headers = headers;
  rec.attrs = attrs;
  return { ok: true, record: rec, position };
}

/** Sniff test for one line: bracketed time in field 3, an S3 operation in field 7, 12+ fields. */
function sniffLine(line: string): boolean {
  if (line.length > 64 * 1024) return false;
  const { fields, bracketed } = splitS3Line(line, 16);
  if (bracketed !== 2 || fields.length < 12) return false;
  const t = fields[2] as string;
  if (Number.isNaN(parseTimeLocal(t, 0, t.length))) return false;
  const op = fields[6] as string;
  if (!isOperation(op)) return false;
  const ip = fields[3] as string;
  return ip === '-' || looksLikeIp(ip);
}

export const s3AccessFormat: LogFormat<S3AccessOptions> = {
  id: 's3',
  description: 'Amazon S3 server access logs (all field generations through source region)',
  create(options?: Partial<S3AccessOptions>): RecordParser {
    const max = maxLineCharsOption(options, 's3', 64 * 1024);
    return perLineParser((line) => parseS3Line(line.text, String(line.offset), max));
  },
  sniff(lines: readonly string[]): number {
    return shareOfLines(lines, sniffLine);
  },
};
