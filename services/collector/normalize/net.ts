// IP addresses and CIDR ranges for the trusted-proxy walk over X-Forwarded-For.
//
// Parsing is by hand (no regular expressions, no allocation for IPv4). IPv4-mapped IPv6
// (`::ffff:10.0.0.1`) is matched against the IPv4 ranges. Ports (`1.2.3.4:5678`, `[2001:db8::1]:443`)
// and IPv6 zones (`fe80::1%eth0`) are stripped by cleanIp before matching.

import { ConfigInvalid } from '#shared/errors.js';

interface Cidr6 {
  /** 8 groups of 16 bits. */
  words: readonly number[];
  bits: number;
}

export interface CidrSet {
  /** [network, mask] pairs, unsigned 32-bit. */
  readonly v4: ReadonlyArray<readonly [number, number]>;
  readonly v6: readonly Cidr6[];
}

/** Dotted-quad IPv4 in s[from, to) as an unsigned 32-bit number, or -1. */
export function parseIPv4(s: string, from = 0, to = s.length): number {
  let v = 0;
  let parts = 0;
  let i = from;
  while (parts < 4) {
    let n = 0;
    let d = 0;
    while (i < to) {
      const c = s.charCodeAt(i);
      if (c < 0x30 || c > 0x39) break;
      n = n * 10 + (c - 0x30);
      d++;
      i++;
      if (d > 3) return -1;
    }
    if (d === 0 || n > 255) return -1;
    v = v * 256 + n;
    parts++;
    if (parts < 4) {
      if (s.charCodeAt(i) !== 0x2e) return -1;
      i++;
    }
  }
  return i === to ? v : -1;
}

function hexVal(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  if (l >= 0x61 && l <= 0x66) return l - 0x61 + 10;
  return -1;
}

/** IPv6 (with `::` and an optional trailing dotted quad) as 8 words, or null. */
export function parseIPv6(s: string): number[] | null {
  if (s.length < 2 || s.length > 45) return null;
  const dbl = s.indexOf('::');
  if (dbl !== -1 && s.indexOf('::', dbl + 1) !== -1) return null;
  const head = dbl === -1 ? s : s.slice(0, dbl);
  const tail = dbl === -1 ? '' : s.slice(dbl + 2);
  const a = groups(head);
  const b = groups(tail);
  if (a === null || b === null) return null;
  const n = a.length + b.length;
  if (dbl === -1 ? n !== 8 : n > 7) return null;
  const out = a.slice();
  for (let k = n; k < 8; k++) out.push(0);
  for (const w of b) out.push(w);
  return out;
}

function groups(s: string): number[] | null {
  if (s === '') return [];
  const parts = s.split(':');
  const out: number[] = [];
  for (let k = 0; k < parts.length; k++) {
    const p = parts[k] as string;
    if (k === parts.length - 1 && p.indexOf('.') !== -1) {
      const v4 = parseIPv4(p);
      if (v4 === -1) return null;
      out.push(Math.floor(v4 / 65536), v4 % 65536);
      continue;
    }
    if (p.length === 0 || p.length > 4) return null;
    let w = 0;
    for (let i = 0; i < p.length; i++) {
      const h = hexVal(p.charCodeAt(i));
      if (h === -1) return null;
      w = w * 16 + h;
    }
    out.push(w);
  }
  return out;
}

/** `::ffff:a.b.c.d` (or `::ffff:xxxx:xxxx`) → the IPv4 number, else -1. */
function mappedV4(w: readonly number[]): number {
  for (let k = 0; k < 5; k++) if (w[k] !== 0) return -1;
  if (w[5] !== 0xffff) return -1;
  return (w[6] as number) * 65536 + (w[7] as number);
}

/** Parses `a.b.c.d/n`, `x::/n` or a bare address (a /32 or /128); throws ConfigInvalid. */
export function compileCidrs(list: readonly string[]): CidrSet {
  const v4: Array<[number, number]> = [];
  const v6: Cidr6[] = [];
  for (const raw of list) {
    const slash = raw.indexOf('/');
    const addr = slash === -1 ? raw : raw.slice(0, slash);
    const bitsText = slash === -1 ? null : raw.slice(slash + 1);
    const bits = bitsText === null ? null : /^\d{1,3}$/.test(bitsText) ? Number(bitsText) : Number.NaN;
    const a4 = parseIPv4(addr);
    if (a4 !== -1) {
      const b = bits ?? 32;
      if (!(b >= 0 && b <= 32))
        throw ConfigInvalid(`trusted proxy ${JSON.stringify(raw)}: bad prefix length`);
      const mask = b === 0 ? 0 : (0xffffffff << (32 - b)) >>> 0;
      v4.push([(a4 & mask) >>> 0, mask]);
      continue;
    }
    const a6 = parseIPv6(addr);
    if (a6 === null) throw ConfigInvalid(`trusted proxy ${JSON.stringify(raw)}: not an IP address or CIDR`);
    const b = bits ?? 128;
    if (!(b >= 0 && b <= 128)) throw ConfigInvalid(`trusted proxy ${JSON.stringify(raw)}: bad prefix length`);
    v6.push({ words: a6, bits: b });
  }
  return { v4, v6 };
}

function inV4(set: CidrSet, ip: number): boolean {
  for (const [net, mask] of set.v4) if ((ip & mask) >>> 0 === net) return true;
  return false;
}

function inV6(c: Cidr6, w: readonly number[]): boolean {
  let bits = c.bits;
  for (let k = 0; k < 8 && bits > 0; k++) {
    const take = Math.min(16, bits);
    const mask = (0xffff << (16 - take)) & 0xffff;
    if (((w[k] as number) & mask) !== ((c.words[k] as number) & mask)) return false;
    bits -= take;
  }
  return true;
}

/** Whether a clean address (cleanIp) is in the set. Host names and garbage are not. */
export function inCidrs(set: CidrSet, ip: string): boolean {
  if (ip.indexOf(':') === -1) {
    const v = parseIPv4(ip);
    return v !== -1 && inV4(set, v);
  }
  const w = parseIPv6(ip);
  if (w === null) return false;
  const m = mappedV4(w);
  if (m !== -1) return inV4(set, m);
  for (const c of set.v6) if (inV6(c, w)) return true;
  return false;
}

/**
 * An X-Forwarded-For element as an address: trimmed, `[v6]:port` / `v4:port` / `%zone` removed.
 * null when it is not an IP address (`unknown`, a host name, an obfuscated `_hidden` token).
 */
export function cleanIp(raw: string): string | null {
  let s = raw.trim();
  if (s.charCodeAt(0) === 0x5b) {
    const rb = s.indexOf(']');
    if (rb === -1) return null;
    s = s.slice(1, rb);
  } else {
    const c1 = s.indexOf(':');
    if (c1 !== -1 && s.indexOf(':', c1 + 1) === -1) s = s.slice(0, c1); // v4:port
  }
  const pct = s.indexOf('%');
  if (pct !== -1) s = s.slice(0, pct);
  if (s.indexOf(':') === -1) return parseIPv4(s) === -1 ? null : s;
  return parseIPv6(s) === null ? null : s.toLowerCase();
}

/**
 * The client address: the peer, unless the peer is a trusted proxy; then X-Forwarded-For is walked
 * right to left past trusted addresses and the first untrusted one is the client (addresses a
 * client prepends are never reached). When every hop is trusted, the left-most; an element that is
 * not an address stops the walk at the last address before it.
 */
export function resolveClientIp(
  peer: string | null,
  forwardedFor: readonly string[],
  trusted: CidrSet,
): string | null {
  if (forwardedFor.length === 0 || peer === null) return peer;
  const p = cleanIp(peer);
  if (p === null || !inCidrs(trusted, p)) return peer;
  let last = peer;
  for (let i = forwardedFor.length - 1; i >= 0; i--) {
    const a = cleanIp(forwardedFor[i] as string);
    if (a === null) return last;
    if (!inCidrs(trusted, a)) return a;
    last = a;
  }
  return last;
}

/** `a, b, c` → [a, b, c]. */
export function splitForwardedFor(header: string): string[] {
  const out: string[] = [];
  for (const part of header.split(',')) {
    const t = part.trim();
    if (t !== '') out.push(t);
  }
  return out;
}
