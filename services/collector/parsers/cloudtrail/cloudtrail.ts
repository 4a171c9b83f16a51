// Parser for AWS CloudTrail events (`cloudtrail`).
//
// What real CloudTrail data looks like, and what this parser does with it:
// - Native delivery files (s3://…/AWSLogs/<acct>/CloudTrail/<region>/yyyy/mm/dd/*.json.gz): ONE
//   line `{"Records":[{…},{…}]}` holding every event of the file (flaws2: 1..20 events a line).
//   Each event is a record at position `offset:index`. `{"Records":[]}` is Skipped `empty_delivery`.
//   A bare array on one line (`jq -c .Records`) is read the same way.
// - One event per line (NDJSON: CloudTrail Lake exports, `jq -c '.Records[]'`, Firehose, Vector):
//   position `offset`. The Logstash-flattened form (OTRF Security-Datasets) adds `@timestamp` and
//   `@version` and has NO `eventTime`: `@timestamp` is used when `eventTime` is absent.
// - `aws cloudtrail lookup-events` items (`{"EventId":…,"CloudTrailEvent":"{…json…}"}`): the
//   embedded event string is parsed. EventBridge envelopes (`"detail-type":"AWS API Call via
//   CloudTrail"`, the event in `detail`): the detail is the event.
// - Digest files (`digestStartTime`, `logFiles`) are Skipped `digest`; CloudTrail Insights events
//   (`eventType: AwsCloudTrailInsight`) are Skipped `insight` (statistics, not accesses).
// - NOT this format: the OTRF honeybucket CSV export (`Event Type,Event Name,…`); it sniffs 0.
//
// Field mapping (raw values; normalisation redacts and hashes):
// - tsMs: eventTime (else @timestamp), ISO 8601 → epoch ms UTC.
// - clientIp: sourceIPAddress when it is an IP address; AWS writes a service name there when a
//   service acted (`s3.amazonaws.com`, `ecs-tasks.amazonaws.com`, `AWS Internal`): clientIp null,
//   the name in attrs.via.
// - user: userIdentity.arn (for AssumedRole that is the role *session* ARN
//   `arn:aws:sts::<acct>:assumed-role/<role>/<session>`); else invokedBy for AWSService; else
//   principalId; else userName. Anonymous callers (S3 public reads are logged as type AWSAccount,
//   accountId `ANONYMOUS_PRINCIPAL`, principalId ``) have no user and authenticated false; any
//   other identity is authenticated true; no userIdentity at all leaves it null.
// - apiKey: userIdentity.accessKeyId (an AKIA/ASIA key *id*, not the secret).
// - method: eventName (`GetObject`, `ListBuckets`, `DescribeInstances`).
// - target: S3 events naming a bucket: `/bucket/key` with the key percent-encoded as an S3 request
//   line would carry it (so routes match the S3 access log), `/bucket?prefix=…` for a listing with a
//   prefix, `/bucket` otherwise; every other event: `/<eventSource>/<eventName>`.
// - sourceKind: `storage` for S3 events naming a bucket that are not management events, else `api`.
// - bytesOut: additionalEventData.bytesTransferredOut (S3 data events), else 0.
// - status: CloudTrail logs no HTTP status. With an errorCode: 403 for access-denied-like codes
//   (AccessDenied, *Unauthorized*, Forbidden, bad/expired credentials), 404 for S3 NoSuchKey /
//   NoSuchBucket / NoSuchVersion (what the S3 access log would say), null for other errors and for
//   successes other than S3 data events; an S3 data event without an error is 200 (what the S3 access
//   log says for it, so unauthenticated-sensitive reads both alike). The code itself is
//   attrs.error_code; errorMessage is not kept (it quotes ARNs and keys).
// - userAgent: as logged; S3 data events wrap it in `[…]`, which is removed.
// - headers.host: requestParameters.Host when present.
// - attrs: event_source, event_name is the method, aws_region, error_code, event_id, request_id,
//   event_type, identity_type, account_id, via, invoked_by, session_issuer (the role ARN behind an
//   assumed-role session), mfa_authenticated, bucket, vpc_endpoint_id, event_category, read_only.
//
// Rejects (ParseMalformedLine('cloudtrail', reason) / ParseBadTimestamp): `bad_json` (not JSON,
// or a delivery line cut short by a line-length limit), `not_object`, `no_event_name`,
// `no_event_time`, and ParseLineTooLong when a line exceeds `maxLineChars` (default 64 Mi
// characters: native delivery files put a whole file on one line; the caller's reader must allow
// lines that long, too). Blank lines are Skipped `blank`. Never throws on any input.
//
// Parsing is JSON.parse (linear, iterative in V8, no regular expressions on input); memory per
// line is bounded by `maxLineChars`; rejected texts are cut to 8 KiB.

import { ParseBadTimestamp, ParseLineTooLong, ParseMalformedLine } from '#shared/errors.js';
import { parseIsoTimestamp } from '../lib/iso-time.js';
import {
  cut,
  isObject,
  type JsonObject,
  maxLineCharsOption,
  own,
  ownString,
  tryJson,
} from '../lib/json-lines.js';
import { looksLikeIp } from '../lib/network.js';
import {
  type AccessRecord,
  emptyRecord,
  type InputLine,
  isBlank,
  type LogFormat,
  type RecordParser,
  type RecordResult,
  type Rejected,
  type Skipped,
  shareOfLines,
} from '../types.js';

export interface CloudTrailOptions {
  /** Lines longer than this (in UTF-16 code units) are rejected unparsed. Default 64 Mi. */
  maxLineChars: number;
}

export const CLOUDTRAIL_DEFAULT_MAX_LINE_CHARS = 64 * 1024 * 1024;

/** Stable reject reasons, the second argument of ParseMalformedLine('cloudtrail', reason). */
export const CLOUDTRAIL_REJECT_REASONS = [
  'bad_json',
  'not_object',
  'no_event_name',
  'no_event_time',
] as const;
type Reason = (typeof CLOUDTRAIL_REJECT_REASONS)[number];

/**
 * Percent-encodes a raw object key as an S3 request line carries it: RFC 3986 unreserved
 * characters and `/` kept, everything else as UTF-8 `%XX` (a lone surrogate becomes U+FFFD).
 */
export function encodeKey(key: string): string {
  let plain = true;
  for (let i = 0; i < key.length; i++) {
    if (!isKeyChar(key.charCodeAt(i))) {
      plain = false;
      break;
    }
  }
  if (plain) return key;
  const bytes = Buffer.from(key, 'utf8');
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    if (b < 0x80 && isKeyChar(b)) out += String.fromCharCode(b);
    else out += (b < 16 ? '%0' : '%') + b.toString(16).toUpperCase();
  }
  return out;
}

function isKeyChar(c: number): boolean {
  return (
    (c >= 0x61 && c <= 0x7a) ||
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x30 && c <= 0x39) ||
    c === 0x2d ||
    c === 0x2e ||
    c === 0x5f ||
    c === 0x7e ||
    c === 0x2f
  );
}

// ---- the format ------------------------------------------------------------------------------------

const DENIED_CODES = [
  'accessdenied',
  'unauthorized',
  'forbidden',
  'signaturedoesnotmatch',
  'invalidaccesskeyid',
  'invalidclienttokenid',
  'expiredtoken',
  'authfailure',
  'allaccessdisabled',
  'invalidtoken',
];
const NOT_FOUND_CODES = new Set(['NoSuchKey', 'NoSuchBucket', 'NoSuchVersion']);

/** HTTP status implied by a CloudTrail errorCode (see the header), or null. */
export function statusForErrorCode(code: string): number | null {
  if (NOT_FOUND_CODES.has(code)) return 404;
  if (code.length > 128) return null;
  const lower = code.toLowerCase();
  for (const d of DENIED_CODES) if (lower.includes(d)) return 403;
  return null;
}

function reject(reason: Reason, position: string, text: string): Rejected {
  return { ok: false, error: ParseMalformedLine('cloudtrail', reason), position, text: cut(text) };
}

function skip(kind: string, position: string, lines: number): Skipped {
  return { ok: 'skip', kind, position, lines };
}

/** The events a parsed line holds, or a skip kind for the whole line. */
function eventsOf(v: unknown): unknown[] | { skip: string } | { reason: Reason } {
  if (Array.isArray(v)) return v.length === 0 ? { skip: 'empty_delivery' } : v;
  if (!isObject(v)) return { reason: 'not_object' };
  const records = own(v, 'Records');
  if (Array.isArray(records)) return records.length === 0 ? { skip: 'empty_delivery' } : records;
  if (own(v, 'digestStartTime') !== undefined && own(v, 'logFiles') !== undefined) return { skip: 'digest' };
  const embedded = own(v, 'CloudTrailEvent');
  if (typeof embedded === 'string') {
    const e = tryJson(embedded);
    return e === undefined ? { reason: 'bad_json' } : [e];
  }
  const detail = own(v, 'detail');
  if (isObject(detail) && typeof own(v, 'detail-type') === 'string' && own(v, 'eventName') === undefined) {
    return [detail];
  }
  return [v];
}

/** One event → a result. `lines` is 1 when the event is the whole line, 0 when it shares it. */
function eventResult(ev: unknown, position: string, lines: number, rawLine: string | null): RecordResult {
  const text = (): string => (rawLine !== null ? rawLine : safeStringify(ev));
  if (!isObject(ev)) return reject('not_object', position, text());
  const eventName = ownString(ev, 'eventName');
  if (eventName === null) return reject('no_event_name', position, text());
  const eventType = ownString(ev, 'eventType');
  if (eventType === 'AwsCloudTrailInsight') return skip('insight', position, lines);
  const timeText = ownString(ev, 'eventTime') ?? ownString(ev, '@timestamp');
  if (timeText === null) return reject('no_event_time', position, text());
  const tsMs = parseIsoTimestamp(timeText);
  if (Number.isNaN(tsMs)) {
    return { ok: false, error: ParseBadTimestamp(timeText.slice(0, 40)), position, text: cut(text()) };
  }
  return { ok: true, record: toRecord(ev, eventName, eventType, tsMs), position };
}

function safeStringify(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

function toRecord(ev: JsonObject, eventName: string, eventType: string | null, tsMs: number): AccessRecord {
  const attrs: Record<string, string> = {};
  const eventSource = ownString(ev, 'eventSource');
  if (eventSource !== null) attrs['event_source'] = eventSource;
  const region = ownString(ev, 'awsRegion');
  if (region !== null) attrs['aws_region'] = region;
  const eventId = ownString(ev, 'eventID');
  if (eventId !== null) attrs['event_id'] = eventId;
  const requestId = ownString(ev, 'requestID');
  if (requestId !== null) attrs['request_id'] = requestId;
  if (eventType !== null) attrs['event_type'] = eventType;
  const category = ownString(ev, 'eventCategory');
  if (category !== null) attrs['event_category'] = category;
  const readOnly = own(ev, 'readOnly');
  if (typeof readOnly === 'boolean') attrs['read_only'] = String(readOnly);
  const vpce = ownString(ev, 'vpcEndpointId');
  if (vpce !== null) attrs['vpc_endpoint_id'] = vpce;

  // Identity.
  let user: string | null = null;
  let apiKey: string | null = null;
  let authenticated: boolean | null = null;
  const ui = own(ev, 'userIdentity');
  if (isObject(ui)) {
    const type = ownString(ui, 'type');
    const arn = ownString(ui, 'arn');
    const principalId = ownString(ui, 'principalId');
    const accountId = ownString(ui, 'accountId');
    const invokedBy = ownString(ui, 'invokedBy');
    if (type !== null) attrs['identity_type'] = type;
    if (accountId !== null) attrs['account_id'] = accountId;
    if (invokedBy !== null) attrs['invoked_by'] = invokedBy;
    const anonymous =
      type === 'Anonymous' ||
      accountId === 'ANONYMOUS_PRINCIPAL' ||
      (type === 'AWSAccount' && arn === null && principalId === null);
    if (anonymous) {
      authenticated = false;
    } else {
      authenticated = true;
      user =
        arn ??
        (type === 'AWSService' ? invokedBy : null) ??
        principalId ??
        ownString(ui, 'userName') ??
        invokedBy;
    }
    apiKey = ownString(ui, 'accessKeyId');
    const sc = own(ui, 'sessionContext');
    if (isObject(sc)) {
      const issuer = own(sc, 'sessionIssuer');
      if (isObject(issuer)) {
        const issuerArn = ownString(issuer, 'arn');
        if (issuerArn !== null) attrs['session_issuer'] = issuerArn;
      }
      const at = own(sc, 'attributes');
      if (isObject(at)) {
        const mfa = own(at, 'mfaAuthenticated');
        if (typeof mfa === 'string' || typeof mfa === 'boolean') attrs['mfa_authenticated'] = String(mfa);
      }
    }
  }

  // Where from.
  let clientIp: string | null = null;
  const src = ownString(ev, 'sourceIPAddress');
  if (src !== null) {
    if (looksLikeIp(src)) clientIp = src;
    else attrs['via'] = src;
  }

  let userAgent = ownString(ev, 'userAgent');
  if (userAgent !== null && userAgent.length > 2 && userAgent.startsWith('[') && userAgent.endsWith(']')) {
    userAgent = userAgent.slice(1, -1);
  }

  // What.
  const isS3 = eventSource === 's3.amazonaws.com';
  const headers: Record<string, string> = {};
  let target: string;
  let bucket: string | null = null;
  const rp = own(ev, 'requestParameters');
  if (isObject(rp)) {
    const host = ownString(rp, 'Host');
    if (host !== null) headers['host'] = host;
    if (isS3) bucket = ownString(rp, 'bucketName');
  }
  if (bucket !== null && isObject(rp)) {
    attrs['bucket'] = bucket;
    const key = ownString(rp, 'key');
    const prefix = ownString(rp, 'prefix');
    if (key !== null) target = `/${bucket}/${encodeKey(key)}`;
    else if (prefix !== null) target = `/${bucket}?prefix=${encodeKey(prefix)}`;
    else target = `/${bucket}`;
  } else {
    target = `/${eventSource ?? 'unknown'}/${eventName}`;
  }
  const management = category === 'Management' || own(ev, 'managementEvent') === true;
  const sourceKind = bucket !== null && !management ? 'storage' : 'api';

  let bytesOut = 0;
  const aed = own(ev, 'additionalEventData');
  if (isObject(aed)) {
    const b = own(aed, 'bytesTransferredOut');
    const n = typeof b === 'number' ? b : typeof b === 'string' ? Number(b) : Number.NaN;
    if (Number.isFinite(n) && n > 0) bytesOut = Math.round(n);
  }

  let status: number | null = null;
  const errorCode = ownString(ev, 'errorCode');
  if (errorCode !== null) {
    attrs['error_code'] = errorCode;
    status = statusForErrorCode(errorCode);
  } else if (sourceKind === 'storage') {
    status = 200; // an S3 data event without an error was served, as the S3 access log would say
  }

  const rec = emptyRecord(tsMs, sourceKind);
  rec.clientIp = clientIp;
  rec.user = user;
  rec.apiKey = apiKey;
  rec.authenticated = authenticated;
  rec.userAgent = userAgent;
  rec.method = eventName;
  rec.target = target;
  rec.status = status;
  rec.bytesOut = bytesOut;
  rec.headers = headers;
  rec.attrs = attrs;
  return rec;
}

function createParser(maxLineChars: number): RecordParser {
  return {
    push(line: InputLine): RecordResult[] {
      const position = String(line.offset);
      const text = line.text;
      if (isBlank(text)) return [skip('blank', position, 1)];
      if (text.length > maxLineChars) {
        return [{ ok: false, error: ParseLineTooLong(maxLineChars), position, text: cut(text) }];
      }
      const v = tryJson(text);
      if (v === undefined) return [reject('bad_json', position, text)];
      const evs = eventsOf(v);
      if ('skip' in evs) return [skip(evs.skip, position, 1)];
      if ('reason' in evs) return [reject(evs.reason, position, text)];
      if (evs.length === 1 && !Array.isArray(v) && !(isObject(v) && Array.isArray(own(v, 'Records')))) {
        return [eventResult(evs[0], position, 1, text)];
      }
      const out: RecordResult[] = [];
      for (let i = 0; i < evs.length; i++) out.push(eventResult(evs[i], `${position}:${i}`, 0, null));
      return out;
    },
    end(): RecordResult[] {
      return [];
    },
  };
}

function sniffLine(s: string): boolean {
  let i = 0;
  while (i < s.length && (s.charCodeAt(i) === 0x20 || s.charCodeAt(i) === 0x09)) i++;
  const c = s.charCodeAt(i);
  if (c === 0x5b) return s.includes('"eventSource"') && s.includes('"eventName"');
  if (c !== 0x7b) return false;
  const head = s.slice(i, i + 64);
  if (head.includes('"Records"')) return true;
  if (s.includes('"CloudTrailEvent"')) return true;
  if (s.includes('"AWS API Call via CloudTrail"')) return true;
  if (s.includes('"digestStartTime"') && s.includes('"logFiles"')) return true;
  return (
    s.includes('"eventSource"') &&
    s.includes('"eventName"') &&
    (s.includes('"eventTime"') || s.includes('"eventVersion"') || s.includes('"@timestamp"'))
  );
}

export const cloudtrailFormat: LogFormat<CloudTrailOptions> = {
  id: 'cloudtrail',
  description:
    'AWS CloudTrail events: native {"Records":[…]} delivery files, one event per line, Logstash/EventBridge/lookup-events forms',
  create(options?: Partial<CloudTrailOptions>): RecordParser {
    return createParser(maxLineCharsOption(options, 'cloudtrail', CLOUDTRAIL_DEFAULT_MAX_LINE_CHARS));
  },
  sniff(lines: readonly string[]): number {
    return shareOfLines(lines, sniffLine);
  },
};
