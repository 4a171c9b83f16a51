// Edge redaction: PHI/PII never leaves the collector in clear text.
//
// A value is replaced by a keyed token, `tok_<kind>_<first 16 hex of HMAC-SHA256(key, kind + ':' + value)>`,
// so the same value always gives the same token (joins and "who accessed X" still work for whoever
// holds the key) and the monitoring system holds no plaintext.
//
// redactTarget(target):
//  - every query parameter value becomes a token (`?email=a@b.org&x=1` → `?email=tok_email_…&x=tok_q_…`);
//    keys are kept. A value that is exactly one PHI item is tokenised under that item's kind (and
//    normalised: e-mail lowercased, card digits only), so it joins with the same item elsewhere;
//    any other value under kind `q`. Values are percent/form-decoded before detection and hashing.
//  - Exception (option `idQueryKeys`, default DEFAULT_ID_QUERY_KEYS): a value of at most 12 digits
//    under a resource-id key (`?p=123`, `?order_id=42`) is kept, exactly as a numeric id in a path is
//    kept, so id-walks over query ids stay detectable. Pass `idQueryKeys: []` to tokenise them too.
//  - PHI anywhere in the path or the query (SSN `ddd-dd-dddd`, e-mail addresses, 13–19 digit
//    Luhn-valid card numbers with a card-network prefix) is replaced by its token and reported in
//    `findings` as `phi_in_url:<kind>`.
//  - Tokens already in the target are left alone, so redaction is idempotent.
//
// Detection is hand-written linear scanning (no regular expressions), so no input can make it
// backtrack. The catalogue is PHI_DETECTORS; a new kind is one scanner added there.
//
// Tokens are memoised per kind in a bounded map (HMAC costs ~1.5 µs; URL values repeat a lot).

import { createHmac } from 'node:crypto';
import { safeDecode, tokenKind } from './route.js';

export interface PhiMatch {
  kind: string;
  start: number;
  end: number;
  /** Normalised value that is hashed (lowercased e-mail, card digits only). */
  norm: string;
}

export interface PhiDetector {
  kind: string;
  /** Appends every match in s to out (any order; overlaps are resolved by findPhi). */
  scan(s: string, out: PhiMatch[]): void;
}

export interface RedactedTarget {
  /** The target with PHI and query values tokenised. */
  target: string;
  /** `phi_in_url:<kind>`, each kind once, in catalogue order. */
  findings: readonly string[];
}

export interface RedactedText {
  text: string;
  /** Kinds found (`ssn`, `email`, `card`), each once. */
  kinds: readonly string[];
}

export interface Redactor {
  /** `tok_<kind>_<16 hex>`; kind is lowercase letters and digits. */
  token(kind: string, value: string): string;
  redactTarget(target: string): RedactedTarget;
  /** Free text (user names, user agents): PHI items replaced by tokens, the rest kept. */
  redactText(text: string): RedactedText;
}

export interface RedactorOptions {
  /** Query keys whose short numeric values are resource ids and are kept. */
  idQueryKeys?: readonly string[];
  /** Tokens memoised per kind before that kind's memo is cleared. Default 20000. */
  cacheSize?: number;
}

export const DEFAULT_ID_QUERY_KEYS: readonly string[] = Object.freeze([
  'p',
  'post',
  'page_id',
  'order_id',
  'attachment_id',
]);

const EMPTY: readonly string[] = Object.freeze([]);
const DASH = 0x2d;
const SP = 0x20;

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function digitsAt(s: string, i: number, n: number): boolean {
  for (let k = 0; k < n; k++) if (!isDigit(s.charCodeAt(i + k))) return false;
  return true;
}

function num(s: string, i: number, n: number): number {
  let v = 0;
  for (let k = 0; k < n; k++) v = v * 10 + (s.charCodeAt(i + k) - 0x30);
  return v;
}

// ---- detectors --------------------------------------------------------------------------------------

/** US SSN written `ddd-dd-dddd`, not touching other digits, with SSA validity rules. */
export const ssnDetector: PhiDetector = {
  kind: 'ssn',
  scan(s, out) {
    for (let d = s.indexOf('-'); d !== -1; d = s.indexOf('-', d + 1)) {
      const i = d - 3;
      if (i < 0 || s.charCodeAt(d + 3) !== DASH) continue;
      if (!digitsAt(s, i, 3) || !digitsAt(s, d + 1, 2) || !digitsAt(s, d + 4, 4)) continue;
      if (i > 0 && isDigit(s.charCodeAt(i - 1))) continue;
      if (isDigit(s.charCodeAt(d + 8))) continue;
      const area = num(s, i, 3);
      if (area === 0 || area === 666 || area >= 900 || num(s, d + 1, 2) === 0 || num(s, d + 4, 4) === 0)
        continue;
      out.push({ kind: 'ssn', start: i, end: d + 8, norm: s.slice(i, d + 8) });
      d += 7;
    }
  },
};

function isLocalChar(c: number): boolean {
  return (
    (c >= 0x61 && c <= 0x7a) ||
    (c >= 0x41 && c <= 0x5a) ||
    isDigit(c) ||
    c === 0x2e ||
    c === 0x5f ||
    c === 0x25 ||
    c === 0x2b ||
    c === DASH
  );
}

function isDomainChar(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || isDigit(c) || c === 0x2e || c === DASH;
}

/** local@domain.tld (local ≤ 64 chars, TLD of 2+ letters). */
export const emailDetector: PhiDetector = {
  kind: 'email',
  scan(s, out) {
    let from = 0;
    for (let at = s.indexOf('@'); at !== -1; at = s.indexOf('@', from)) {
      from = at + 1;
      let start = at;
      while (start > 0 && at - start < 64 && isLocalChar(s.charCodeAt(start - 1))) start--;
      while (start < at && s.charCodeAt(start) === 0x2e) start++;
      if (start === at) continue;
      let end = at + 1;
      while (end < s.length && end - at <= 253 && isDomainChar(s.charCodeAt(end))) end++;
      while (end > at + 1 && (s.charCodeAt(end - 1) === 0x2e || s.charCodeAt(end - 1) === DASH)) end--;
      const lastDot = s.lastIndexOf('.', end - 1);
      if (lastDot <= at + 1 || end - lastDot - 1 < 2) continue;
      const first = s.charCodeAt(at + 1);
      if (first === 0x2e || first === DASH) continue;
      let tldOk = true;
      for (let k = lastDot + 1; k < end; k++) {
        const c = s.charCodeAt(k) | 0x20;
        if (c < 0x61 || c > 0x7a) {
          tldOk = false;
          break;
        }
      }
      if (!tldOk) continue;
      out.push({ kind: 'email', start, end, norm: s.slice(start, end).toLowerCase() });
      from = end;
    }
  },
};

const CARD_PREFILTER = /\d(?:[ -]?\d){12}/;

function luhnOk(d: string): boolean {
  let sum = 0;
  let dbl = false;
  for (let i = d.length - 1; i >= 0; i--) {
    let v = d.charCodeAt(i) - 0x30;
    if (dbl) {
      v *= 2;
      if (v > 9) v -= 9;
    }
    sum += v;
    dbl = !dbl;
  }
  return sum % 10 === 0;
}

/** Card networks start with 2 (22–27), 3, 4, 5 or 6; this keeps epoch-ms values (`1700000000000`) out. */
function cardPrefixOk(d: string): boolean {
  const c0 = d.charCodeAt(0) - 0x30;
  if (c0 >= 3 && c0 <= 6) return true;
  if (c0 === 2) {
    const c1 = d.charCodeAt(1) - 0x30;
    return c1 >= 2 && c1 <= 7;
  }
  return false;
}

function isCard(d: string): boolean {
  return d.length >= 13 && d.length <= 19 && cardPrefixOk(d) && luhnOk(d);
}

/**
 * 13–19 digits, contiguous or grouped by single spaces/dashes, Luhn-valid, card-network prefix,
 * not touching letters or other digits.
 */
export const cardDetector: PhiDetector = {
  kind: 'card',
  scan(s, out) {
    // Native prefilter (no backtracking: each repetition is an optional separator then a digit):
    // 13 digits with single separators somewhere, else nothing to do.
    if (!CARD_PREFILTER.test(s)) return;
    const n = s.length;
    let i = 0;
    while (i < n) {
      if (!isDigit(s.charCodeAt(i))) {
        i++;
        continue;
      }
      // maximal run of digits with single separators between digits
      let j = i;
      let digits = 0;
      let seps = 0;
      while (j < n) {
        const c = s.charCodeAt(j);
        if (isDigit(c)) {
          digits++;
          j++;
        } else if ((c === SP || c === DASH) && j + 1 < n && isDigit(s.charCodeAt(j + 1))) {
          seps++;
          j++;
        } else break;
      }
      // Inside a hex string or a word (`…c359289153600164cfb…`) it is not a card number.
      if (digits >= 13 && !(isAlnum(s.charCodeAt(i - 1)) || isAlnum(s.charCodeAt(j)))) {
        let found = false;
        if (digits <= 19) {
          const d = seps === 0 ? s.slice(i, j) : digitsOnly(s, i, j);
          if (isCard(d)) {
            out.push({ kind: 'card', start: i, end: j, norm: d });
            found = true;
          }
        }
        if (!found && seps > 0) {
          // contiguous sub-runs, e.g. `4111111111111111-12`
          let k = i;
          while (k < j) {
            let e = k;
            while (e < j && isDigit(s.charCodeAt(e))) e++;
            if (e - k >= 13 && e - k <= 19) {
              const d = s.slice(k, e);
              if (isCard(d)) out.push({ kind: 'card', start: k, end: e, norm: d });
            }
            k = e + 1;
          }
        }
      }
      i = j;
    }
  },
};

function isAlnum(c: number): boolean {
  return isDigit(c) || (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a);
}

function digitsOnly(s: string, from: number, to: number): string {
  let d = '';
  for (let k = from; k < to; k++) {
    const c = s.charCodeAt(k);
    if (isDigit(c)) d += s[k];
  }
  return d;
}

/** The catalogue, in the order findings are reported. Grows with the PHI issue (DOB, MRN, ICD-10, phone). */
export const PHI_DETECTORS: readonly PhiDetector[] = Object.freeze([
  ssnDetector,
  emailDetector,
  cardDetector,
]);

const NO_MATCHES: PhiMatch[] = [];
const scratch: PhiMatch[] = [];

/** Every PHI item in s, sorted by position, without overlaps (the earlier, then longer, wins). */
export function findPhi(s: string, detectors: readonly PhiDetector[] = PHI_DETECTORS): PhiMatch[] {
  if (s.length < 6) return NO_MATCHES;
  for (const d of detectors) d.scan(s, scratch);
  if (scratch.length === 0) return NO_MATCHES;
  const out = scratch.slice();
  scratch.length = 0;
  if (out.length === 1) return out;
  out.sort((a, b) => a.start - b.start || b.end - a.end);
  const kept: PhiMatch[] = [];
  let lastEnd = -1;
  for (const m of out) {
    if (m.start >= lastEnd) {
      kept.push(m);
      lastEnd = m.end;
    }
  }
  return kept;
}

// ---- redactor --------------------------------------------------------------------------------------

const KIND_RE = /^[a-z0-9]+$/;

function allDigits(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) if (!isDigit(s.charCodeAt(i))) return false;
  return true;
}

function formDecode(s: string): string {
  return safeDecode(s.indexOf('+') === -1 ? s : s.replaceAll('+', ' '));
}

function encodePiece(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    return s.replace(/[^\x21-\x7e]/g, '_');
  }
}

export function createRedactor(key: Buffer, opts: RedactorOptions = {}): Redactor {
  if (!Buffer.isBuffer(key) || key.length < 16) {
    throw new TypeError('createRedactor: key must be a Buffer of at least 16 bytes');
  }
  const hmacKey = Buffer.from(key); // private copy
  const idKeys = new Set(opts.idQueryKeys ?? DEFAULT_ID_QUERY_KEYS);
  const cacheSize = opts.cacheSize ?? 20000;
  const memo = new Map<string, Map<string, string>>();
  const kindOrder = new Map<string, number>();
  for (const [i, d] of PHI_DETECTORS.entries()) kindOrder.set(d.kind, i);

  function token(kind: string, value: string): string {
    let m = memo.get(kind);
    if (m === undefined) {
      if (!KIND_RE.test(kind)) {
        throw new TypeError(`token kind must match ${KIND_RE}: ${JSON.stringify(kind)}`);
      }
      m = new Map();
      memo.set(kind, m);
    }
    let t = m.get(value);
    if (t === undefined) {
      const hex = createHmac('sha256', hmacKey)
        .update(kind + ':' + value)
        .digest('hex');
      t = 'tok_' + kind + '_' + hex.slice(0, 16);
      if (m.size >= cacheSize) m.clear();
      m.set(value, t);
    }
    return t;
  }

  /** s with every match replaced by its token; the text between matches optionally URL-encoded. */
  function replaceMatches(s: string, matches: PhiMatch[], encode = false): string {
    let out = '';
    let last = 0;
    for (const m of matches) {
      const between = s.slice(last, m.start);
      out += (encode ? encodePiece(between) : between) + token(m.kind, m.norm);
      last = m.end;
    }
    const tail = s.slice(last);
    return out + (encode ? encodePiece(tail) : tail);
  }

  // Findings as a bit set over the catalogue (kinds outside it get their own bits lazily).
  function bit(kind: string): number {
    let i = kindOrder.get(kind);
    if (i === undefined) {
      i = kindOrder.size;
      kindOrder.set(kind, i);
    }
    return 1 << i;
  }
  const kindsByMask = new Map<number, readonly string[]>();
  function kindsOf(mask: number): readonly string[] {
    let r = kindsByMask.get(mask);
    if (r === undefined) {
      const kinds: string[] = [];
      for (const [k, i] of [...kindOrder].sort((a, b) => a[1] - b[1])) if (mask & (1 << i)) kinds.push(k);
      r = Object.freeze(kinds);
      kindsByMask.set(mask, r);
    }
    return r;
  }
  const findingsByMask = new Map<number, readonly string[]>();
  function findingsOf(mask: number): readonly string[] {
    if (mask === 0) return EMPTY;
    let r = findingsByMask.get(mask);
    if (r === undefined) {
      r = Object.freeze(kindsOf(mask).map((k) => 'phi_in_url:' + k));
      findingsByMask.set(mask, r);
    }
    return r;
  }

  function maskOf(matches: PhiMatch[]): number {
    let mask = 0;
    for (const m of matches) mask |= bit(m.kind);
    return mask;
  }

  function redactPath(path: string): { path: string; mask: number } {
    if (path.indexOf('%') === -1) {
      const ms = findPhi(path);
      if (ms.length === 0) return { path, mask: 0 };
      return { path: replaceMatches(path, ms), mask: maskOf(ms) };
    }
    // Percent-encoded: detect on each decoded segment, re-encode the segments we change.
    const segs = path.split('/');
    let mask = 0;
    for (let i = 0; i < segs.length; i++) {
      const raw = segs[i] as string;
      const dec = raw.indexOf('%') === -1 ? raw : safeDecode(raw);
      const ms = findPhi(dec);
      if (ms.length === 0) continue;
      mask |= maskOf(ms);
      segs[i] = replaceMatches(dec, ms, true);
    }
    return { path: mask === 0 ? path : segs.join('/'), mask };
  }

  function redactValue(key: string, raw: string): { value: string; mask: number } {
    if (raw === '' || tokenKind(raw) !== null) return { value: raw, mask: 0 };
    const dec = formDecode(raw);
    const ms = findPhi(dec);
    if (ms.length === 0) {
      if (idKeys.has(key) && dec.length <= 12 && allDigits(dec)) return { value: raw, mask: 0 };
      return { value: token('q', dec), mask: 0 };
    }
    const m0 = ms[0] as PhiMatch;
    const whole = ms.length === 1 && m0.start === 0 && m0.end === dec.length;
    return { value: whole ? token(m0.kind, m0.norm) : token('q', dec), mask: maskOf(ms) };
  }

  function redactQuery(q: string): { query: string; mask: number } {
    let out = '';
    let mask = 0;
    let p = 0;
    const n = q.length;
    while (p <= n) {
      let amp = q.indexOf('&', p);
      if (amp === -1) amp = n;
      const eq = q.indexOf('=', p);
      if (p > 0) out += '&';
      if (eq === -1 || eq > amp) {
        // bare parameter (`?foo`, `?123-45-6789`): kept unless it carries PHI
        const part = q.slice(p, amp);
        const dec = part === '' || tokenKind(part) !== null ? '' : formDecode(part);
        const ms = findPhi(dec);
        if (ms.length > 0) {
          mask |= maskOf(ms);
          const m0 = ms[0] as PhiMatch;
          out +=
            ms.length === 1 && m0.end - m0.start === dec.length ? token(m0.kind, m0.norm) : token('q', dec);
        } else out += part;
      } else {
        let key = q.slice(p, eq);
        const dk = formDecode(key);
        const km = findPhi(dk);
        if (km.length > 0) {
          mask |= maskOf(km);
          key = replaceMatches(dk, km, true);
        }
        const r = redactValue(dk, q.slice(eq + 1, amp));
        mask |= r.mask;
        out += key + '=' + r.value;
      }
      p = amp + 1;
    }
    return { query: out, mask };
  }

  function redactTarget(target: string): RedactedTarget {
    const qAt = target.indexOf('?');
    const path = qAt === -1 ? target : target.slice(0, qAt);
    const rp = redactPath(path);
    if (qAt === -1) {
      return rp.mask === 0 ? { target, findings: EMPTY } : { target: rp.path, findings: findingsOf(rp.mask) };
    }
    const rq = redactQuery(target.slice(qAt + 1));
    return { target: rp.path + '?' + rq.query, findings: findingsOf(rp.mask | rq.mask) };
  }

  function redactText(text: string): RedactedText {
    const ms = findPhi(text);
    if (ms.length === 0) return { text, kinds: EMPTY };
    return { text: replaceMatches(text, ms), kinds: kindsOf(maskOf(ms)) };
  }

  return { token, redactTarget, redactText };
}
