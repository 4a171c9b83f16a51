// ParsedHttpLine → AccessEvent (schemas/avro/access-event.avsc): the only place a web log line
// becomes the shared contract. Everything that leaves here is redacted:
//  - the request target is redacted (redact.ts) before route.ts sees it, so route, resource_id
//    and findings come from the redacted target;
//  - the referer is reduced to its host (`attrs.referer_host`); the full referer is never kept;
//  - a remote user that is a PHI item (an e-mail address as basic-auth user) becomes its token;
//  - PHI items in the user agent are replaced by tokens.
//
// event_id = first 32 hex of sha256(source + '\n' + position): a replay of the same file gives
// the same ids.
//
// client_ip: the peer address nginx logged, unless it is a private/loopback address and the line
// also logged a forwarded-for list; then the right-most public address of that list (the first
// hop our side did not add), or the left-most address when all are private. Without a configured
// trusted-proxy list this is the choice that a client cannot spoof by prepending addresses.

import { hash } from 'node:crypto';
import type { AccessEvent } from '#shared/avro/generated/access-event.js';
import type { ParsedHttpLine } from '../parsers/nginx-combined.js';
import type { Redactor } from './redact.js';
import { type CompiledRouteTable, normalizeRoute } from './route.js';

export interface ToAccessEventContext {
  /** Which log: file path or stream name. Part of event_id. */
  source: string;
  tenant: string;
  /** Byte offset or line number of the line in `source`. Part of event_id. */
  position: number | bigint | string;
  redactor: Redactor;
  /** Route table (compileRouteTable); the built-in one when absent. */
  routes?: CompiledRouteTable;
}

/** Route used when the request line could not be split into method, target, protocol. */
export const UNPARSED_ROUTE = '{unparsed}';

/** Deterministic event id: first 32 hex of sha256(source + '\n' + position). */
export function eventId(source: string, position: number | bigint | string): string {
  return hash('sha256', source + '\n' + String(position), 'hex').slice(0, 32);
}

export function toAccessEvent(parsed: ParsedHttpLine, ctx: ToAccessEventContext): AccessEvent {
  const { redactor } = ctx;
  let route = UNPARSED_ROUTE;
  let resourceId: string | null = null;
  let resourceKind: string | null = null;
  let findings: string[] = [];
  if (parsed.target !== null) {
    const red = redactor.redactTarget(parsed.target);
    const r = normalizeRoute(red.target, ctx.routes);
    route = r.route;
    resourceId = r.resourceId;
    resourceKind = r.resourceKind;
    if (red.findings.length > 0) findings = red.findings.slice();
  }
  let userId: string | null = null;
  if (parsed.remoteUser !== null && parsed.remoteUser !== '-' && parsed.remoteUser !== '') {
    userId = redactor.redactText(parsed.remoteUser).text;
  }
  const attrs: Record<string, string> = {};
  if (parsed.referer !== null) {
    const host = refererHost(parsed.referer);
    if (host !== null) attrs['referer_host'] = host;
  }
  const ua = parsed.userAgent === null ? null : redactor.redactText(parsed.userAgent).text;
  return {
    event_id: eventId(ctx.source, ctx.position),
    ts: parsed.tsMs,
    source_kind: 'web',
    source: ctx.source,
    tenant: ctx.tenant,
    user_id: userId,
    session_hash: null,
    api_key_id: null,
    client_ip: clientIpOf(parsed),
    user_agent: ua,
    db_user: null,
    authenticated: userId !== null,
    emergency_access: false,
    http_method: parsed.method,
    db_operation: null,
    route,
    resource_id: resourceId,
    resource_kind: resourceKind,
    status: parsed.status,
    bytes_out: parsed.bytes,
    rows_out: null,
    duration_ms: null,
    findings,
    attrs,
  };
}

// The principal key (Kafka key) is defined once, in #shared/principal.ts.
export { principalKey } from '#shared/principal.js';

/** Host of an absolute referer (`https://shop.example/x?y` → `shop.example`), lowercased, no port. */
export function refererHost(referer: string): string | null {
  const s = referer.indexOf('://');
  if (s <= 0 || s > 32) return null;
  let e = s + 3;
  const n = referer.length;
  let at = -1;
  while (e < n) {
    const c = referer.charCodeAt(e);
    if (c === 0x2f || c === 0x3f || c === 0x23) break;
    if (c === 0x40) at = e; // userinfo@host: drop userinfo
    e++;
  }
  let hs = at === -1 ? s + 3 : at + 1;
  let he = e;
  if (referer.charCodeAt(hs) === 0x5b) {
    // [IPv6]:port
    const rb = referer.indexOf(']', hs);
    if (rb === -1 || rb > he) return null;
    hs++;
    he = rb;
  } else {
    const colon = referer.indexOf(':', hs);
    if (colon !== -1 && colon < he) he = colon;
  }
  if (he <= hs || he - hs > 253) return null;
  const host = referer.slice(hs, he).toLowerCase();
  for (let i = 0; i < host.length; i++) {
    const c = host.charCodeAt(i);
    const ok =
      (c >= 0x61 && c <= 0x7a) ||
      (c >= 0x30 && c <= 0x39) ||
      c === 0x2e ||
      c === 0x2d ||
      c === 0x3a ||
      c === 0x5f;
    if (!ok) return null;
  }
  return host;
}

/** See the header: the peer, or the right-most public forwarded address behind a private peer. */
export function clientIpOf(p: Pick<ParsedHttpLine, 'clientIp' | 'forwardedFor'>): string {
  const fwd = p.forwardedFor;
  if (fwd.length === 0 || !isPrivateIp(p.clientIp)) return p.clientIp;
  for (let i = fwd.length - 1; i >= 0; i--) {
    const a = fwd[i] as string;
    if (!isPrivateIp(a)) return a;
  }
  return fwd[0] as string;
}

/** Loopback, RFC 1918, link-local, CGNAT, IPv6 ULA/link-local/loopback. Shape-based, no allocation. */
export function isPrivateIp(ip: string): boolean {
  if (ip.indexOf(':') !== -1) {
    const lower = ip.charCodeAt(0) | 0x20;
    if (ip === '::1') return true;
    if (ip.startsWith('::ffff:')) return isPrivateIp(ip.slice(7));
    // fc00::/7 (fc, fd), fe80::/10
    if (lower === 0x66) {
      const c1 = ip.charCodeAt(1) | 0x20;
      if (c1 === 0x63 || c1 === 0x64) return true;
      if (c1 === 0x65) {
        const c2 = ip.charCodeAt(2) | 0x20;
        return c2 === 0x38 || c2 === 0x39 || c2 === 0x61 || c2 === 0x62;
      }
    }
    return false;
  }
  const d1 = ip.indexOf('.');
  if (d1 <= 0) return false;
  const a = Number(ip.slice(0, d1));
  const d2 = ip.indexOf('.', d1 + 1);
  const b = d2 === -1 ? Number.NaN : Number(ip.slice(d1 + 1, d2));
  if (a === 10 || a === 127) return true;
  if (a === 172) return b >= 16 && b <= 31;
  if (a === 192) return b === 168;
  if (a === 169) return b === 254;
  if (a === 100) return b >= 64 && b <= 127;
  return false;
}
