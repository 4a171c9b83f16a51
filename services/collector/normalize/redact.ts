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

import { createHmac, createSecretKey } from 'node:crypto';
import { flatCopy } from '#shared/flat-copy.js';
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
  /** Appends every match in free text s to out (any order; overlaps are resolved by findPhi). */
  scan(s: string, out: PhiMatch[]): void;
  /**
   * Named-parameter detectors: lowercase parameter names (`dob`, `billing_phone`) whose values this
   * detector reads. Matched in query strings, `name=value` / `name: value` / `"name":"value"` pairs in
   * free text, and (collector) SQL literals compared to a column of that name.
   */
  params?: ReadonlySet<string>;
  /** Appends the matches in s[from, to), the whole value of one of `params` (already decoded). */
  scanValue?(s: string, from: number, to: number, out: PhiMatch[]): void;
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
  /** `tok_<kind>_<16 hex>`; kind is lowercase letters and digits (`api_key`: inner `_` allowed). */
  token(kind: string, value: string): string;
  redactTarget(target: string): RedactedTarget;
  /**
   * Free text (user names, user agents, SQL literals): PHI items replaced by tokens, the rest kept.
   * With `param`, the text is the value of a parameter / column of that name, so the named
   * detectors (dob, mrn, icd10, phone, name) read it too.
   */
  redactText(text: string, param?: string | null): RedactedText;
  /** The detector catalogue this redactor uses (findings are reported in its order). */
  readonly detectors: readonly PhiDetector[];
}

export interface RedactorOptions {
  /** Query keys whose short numeric values are resource ids and are kept. */
  idQueryKeys?: readonly string[];
  /** Tokens memoised per kind before that kind's memo is cleared. Default 20000. */
  cacheSize?: number;
  /** Detector catalogue (createPhiDetectors builds one from config). Default PHI_DETECTORS. */
  detectors?: readonly PhiDetector[];
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

// ---- named-parameter detectors (dob, mrn, icd10, phone, name) -----------------------------------------
//
// These kinds are only PHI in context: `1980-04-02` is a date, under `dob=` it is a date of birth;
// `Jane` is a word, under `first_name=` it is a name. Each detector has the parameter names it reads
// (`params`) and a value matcher (`scanValue`); MRN and phone also have a free-text form
// (`MRN 1234567`, E.164 `+15551234567`). Values are matched whole (trimmed), ICD-10 values as lists.

/** The free-text scan of detectors that only read named values (skipped by findPhi). */
export function noScan(_s: string, _out: PhiMatch[]): void {}

function isSpace(c: number): boolean {
  return c === SP || c === 0x09 || c === 0x0a || c === 0x0d;
}

/** [from, to) with blanks trimmed on both sides. */
function trimRange(s: string, from: number, to: number): [number, number] {
  while (from < to && isSpace(s.charCodeAt(from))) from++;
  while (to > from && isSpace(s.charCodeAt(to - 1))) to--;
  return [from, to];
}

/** 1–2 digits at s[i..]: [value, length] or null. */
function digits12(s: string, i: number, to: number): [number, number] | null {
  if (i >= to || !isDigit(s.charCodeAt(i))) return null;
  if (i + 1 < to && isDigit(s.charCodeAt(i + 1))) return [num(s, i, 2), 2];
  return [num(s, i, 1), 1];
}

function validDate(y: number, m: number, d: number): boolean {
  if (y < 1880 || y > 2100 || m < 1 || m > 12 || d < 1) return false;
  const dim =
    m === 2
      ? y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0)
        ? 29
        : 28
      : m === 4 || m === 6 || m === 9 || m === 11
        ? 30
        : 31;
  return d <= dim;
}

function iso(y: number, m: number, d: number): string {
  return `${y}-${m < 10 ? '0' : ''}${m}-${d < 10 ? '0' : ''}${d}`;
}

/**
 * A calendar date filling s[from, to): ISO `YYYY-MM-DD` (or `/`, `.`; an ISO time may follow after
 * `T` or a blank), US `M/D/YYYY` or `M-D-YYYY`, European `D.M.YYYY`. Returns it as ISO, else null.
 */
export function parseDateValue(s: string, from: number, to: number): string | null {
  const n = to - from;
  if (n < 8) return null;
  if (n >= 10 && digitsAt(s, from, 4)) {
    const sep = s.charCodeAt(from + 4);
    if ((sep !== DASH && sep !== 0x2f && sep !== 0x2e) || s.charCodeAt(from + 7) !== sep) return null;
    if (!digitsAt(s, from + 5, 2) || !digitsAt(s, from + 8, 2)) return null;
    if (n > 10) {
      const t = s.charCodeAt(from + 10);
      if ((t !== 0x54 && t !== SP) || !isDigit(s.charCodeAt(from + 11))) return null;
    }
    const y = num(s, from, 4);
    const m = num(s, from + 5, 2);
    const d = num(s, from + 8, 2);
    return validDate(y, m, d) ? iso(y, m, d) : null;
  }
  const a = digits12(s, from, to);
  if (a === null) return null;
  let i = from + a[1];
  const sep = s.charCodeAt(i);
  if (sep !== 0x2f && sep !== DASH && sep !== 0x2e) return null;
  const b = digits12(s, i + 1, to);
  if (b === null) return null;
  i += 1 + b[1];
  if (s.charCodeAt(i) !== sep || to - (i + 1) !== 4 || !digitsAt(s, i + 1, 4)) return null;
  const y = num(s, i + 1, 4);
  // `.` is day.month (Europe); `/` and `-` month/day (US).
  const [m, d] = sep === 0x2e ? [b[0], a[0]] : [a[0], b[0]];
  return validDate(y, m, d) ? iso(y, m, d) : null;
}

function paramSet(names: readonly string[]): ReadonlySet<string> {
  return new Set(names.map((x) => x.toLowerCase()));
}

export const DOB_PARAMS: readonly string[] = Object.freeze([
  'dob',
  'birthdate',
  'birth_date',
  'birthday',
  'date_of_birth',
  'dateofbirth',
  'billing_dob',
  'billing_birthdate',
  'patient_dob',
]);

/** Date of birth: a date under a named parameter (`dob=1980-04-02`, `birthdate=4/2/1980`, `dob=02.04.1980`). */
export function createDobDetector(extraParams: readonly string[] = []): PhiDetector {
  return {
    kind: 'dob',
    params: paramSet([...DOB_PARAMS, ...extraParams]),
    scan: noScan,
    scanValue(s, from, to, out) {
      const [a, b] = trimRange(s, from, to);
      const d = parseDateValue(s, a, b);
      if (d !== null) out.push({ kind: 'dob', start: a, end: b, norm: d });
    },
  };
}

export const MRN_PARAMS: readonly string[] = Object.freeze([
  'mrn',
  'medical_record_number',
  'medical_record_no',
  'patient_mrn',
  'chart_number',
  'chart_no',
]);

/** Default free-text MRN: `MRN` then an optional `-`, `:`, `#` or blank, then 6–10 digits; case-insensitive. */
export const DEFAULT_MRN_PATTERN = '(?<![A-Za-z0-9])MRN[-: #]?(\\d{6,10})(?![0-9])';

/** An MRN value: 4–20 letters, digits and dashes with at least one digit, optionally `MRN`-prefixed. */
function mrnValue(s: string, from: number, to: number): string | null {
  const n = to - from;
  if (n < 4 || n > 24) return null;
  let hasDigit = false;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (isDigit(c)) hasDigit = true;
    else if (!((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a) && c !== DASH) return null;
  }
  if (!hasDigit) return null;
  let v = s.slice(from, to).toUpperCase();
  if (v.startsWith('MRN')) v = v.slice(v.charCodeAt(3) === DASH ? 4 : 3);
  return v.length >= 4 ? v : null;
}

/**
 * Medical record numbers: any value of the MRN parameters (`mrn=0012345`), and `pattern` in free
 * text (default DEFAULT_MRN_PATTERN; compiled case-insensitive; its first capture group, when it
 * has one, is the number that is hashed, so `MRN-0012345` and `mrn=0012345` share a token).
 * Throws a SyntaxError on a bad pattern.
 */
export function createMrnDetector(
  pattern: string = DEFAULT_MRN_PATTERN,
  extraParams: readonly string[] = [],
): PhiDetector {
  const re = new RegExp(pattern, 'gi');
  // The default pattern needs the letters MRN: three native searches skip the regex on most strings.
  const prefilter = pattern === DEFAULT_MRN_PATTERN;
  return {
    kind: 'mrn',
    params: paramSet([...MRN_PARAMS, ...extraParams]),
    scan(s, out) {
      if (prefilter && s.indexOf('MRN') === -1 && s.indexOf('mrn') === -1 && s.indexOf('Mrn') === -1) return;
      re.lastIndex = 0;
      for (let m = re.exec(s); m !== null; m = re.exec(s)) {
        if (m[0] === '') {
          re.lastIndex++;
          continue;
        }
        const v = (m[1] ?? m[0]).toUpperCase();
        out.push({ kind: 'mrn', start: m.index, end: m.index + m[0].length, norm: v });
      }
    },
    scanValue(s, from, to, out) {
      const [a, b] = trimRange(s, from, to);
      const v = mrnValue(s, a, b);
      if (v !== null) out.push({ kind: 'mrn', start: a, end: b, norm: v });
    },
  };
}

export const ICD10_PARAMS: readonly string[] = Object.freeze([
  'icd',
  'icd10',
  'icd_10',
  'icd10_code',
  'icd_code',
  'dx',
  'dx_code',
  'diagnosis',
  'diagnosis_code',
]);

/** `[A-TV-Z][0-9][0-9AB](\.[0-9A-TV-Z]{1,4})?` filling s[a, b), case-insensitive. */
function isIcd10(s: string, a: number, b: number): boolean {
  const n = b - a;
  if (n !== 3 && (n < 5 || n > 8)) return false;
  const c0 = s.charCodeAt(a) | 0x20;
  if (c0 < 0x61 || c0 > 0x7a || c0 === 0x75) return false;
  if (!isDigit(s.charCodeAt(a + 1))) return false;
  const c2 = s.charCodeAt(a + 2);
  if (!isDigit(c2) && (c2 | 0x20) !== 0x61 && (c2 | 0x20) !== 0x62) return false;
  if (n === 3) return true;
  if (s.charCodeAt(a + 3) !== 0x2e) return false;
  for (let i = a + 4; i < b; i++) {
    const c = s.charCodeAt(i);
    const l = c | 0x20;
    if (!isDigit(c) && !(l >= 0x61 && l <= 0x7a && l !== 0x75)) return false;
  }
  return true;
}

/** ICD-10 codes under a diagnosis parameter: `dx=E11.9`, `icd10=E11.9,I10` (each code a match). */
export function createIcd10Detector(extraParams: readonly string[] = []): PhiDetector {
  return {
    kind: 'icd10',
    params: paramSet([...ICD10_PARAMS, ...extraParams]),
    scan: noScan,
    scanValue(s, from, to, out) {
      let i = from;
      while (i < to) {
        let j = i;
        while (j < to) {
          const c = s.charCodeAt(j);
          if (c === 0x2c || c === 0x3b || c === 0x7c || isSpace(c)) break;
          j++;
        }
        if (j > i && isIcd10(s, i, j))
          out.push({ kind: 'icd10', start: i, end: j, norm: s.slice(i, j).toUpperCase() });
        i = j + 1;
      }
    },
  };
}

export const PHONE_PARAMS: readonly string[] = Object.freeze([
  'phone',
  'tel',
  'telephone',
  'mobile',
  'cell',
  'phone_number',
  'phonenumber',
  'mobile_phone',
  'billing_phone',
  'shipping_phone',
  'patient_phone',
  'contact_phone',
]);

/** A phone number filling s[a, b): digits with blanks, `-`, `.`, `/`, `()` and a leading `+`; 7–15 digits. */
function phoneValue(s: string, a: number, b: number): string | null {
  if (b - a < 7 || b - a > 32) return null;
  let d = '';
  for (let i = a; i < b; i++) {
    const c = s.charCodeAt(i);
    if (isDigit(c)) d += s[i];
    else if (c === 0x2b) {
      if (i !== a) return null;
    } else if (c !== SP && c !== DASH && c !== 0x2e && c !== 0x2f && c !== 0x28 && c !== 0x29) return null;
  }
  return d.length >= 7 && d.length <= 15 ? d : null;
}

/**
 * Phone numbers: any phone-shaped value of the phone parameters (`billing_phone=(555) 123-4567`),
 * and E.164 numbers anywhere (`+` then 8–15 digits, not glued to a letter or digit before, no digit
 * after). The hashed form is the digits only.
 */
export function createPhoneDetector(extraParams: readonly string[] = []): PhiDetector {
  return {
    kind: 'phone',
    params: paramSet([...PHONE_PARAMS, ...extraParams]),
    scan(s, out) {
      for (let p = s.indexOf('+'); p !== -1; p = s.indexOf('+', p + 1)) {
        if (p > 0) {
          const b = s.charCodeAt(p - 1);
          if (isAlnum(b) || b === 0x2b || b === 0x2e) continue;
        }
        let e = p + 1;
        while (e < s.length && isDigit(s.charCodeAt(e))) e++;
        const n = e - p - 1;
        if (n < 8 || n > 15 || s.charCodeAt(p + 1) === 0x30) continue;
        out.push({ kind: 'phone', start: p, end: e, norm: s.slice(p + 1, e) });
        p = e - 1;
      }
    },
    scanValue(s, from, to, out) {
      const [a, b] = trimRange(s, from, to);
      const v = phoneValue(s, a, b);
      if (v !== null) out.push({ kind: 'phone', start: a, end: b, norm: v });
    },
  };
}

export const NAME_PARAMS: readonly string[] = Object.freeze([
  'name',
  'full_name',
  'fullname',
  'first_name',
  'firstname',
  'last_name',
  'lastname',
  'middle_name',
  'middlename',
  'fname',
  'lname',
  'patient_name',
  'billing_first_name',
  'billing_last_name',
  'shipping_first_name',
  'shipping_last_name',
]);

const NAME_RE = /^\p{L}[\p{L}\p{M} .'’-]{0,79}$/u;
const DOT_IN_WORD_RE = /\.\p{L}/u;

/**
 * Personal names under name parameters (`first_name=Jane`, `patient_name=Jane+Doe`): 2–80 letters,
 * blanks, `.`, `'`, `-`, starting with a letter (no digits, no `@`). Hashed lowercased, blanks collapsed.
 */
export function createNameDetector(extraParams: readonly string[] = []): PhiDetector {
  return {
    kind: 'name',
    params: paramSet([...NAME_PARAMS, ...extraParams]),
    scan: noScan,
    scanValue(s, from, to, out) {
      const [a, b] = trimRange(s, from, to);
      if (b - a < 2 || b - a > 80) return;
      const v = a === 0 && b === s.length ? s : s.slice(a, b);
      // `J. Doe` is a name; `dnsscan.shadowserver.org` (a dot inside a word) is a host name.
      if (!NAME_RE.test(v) || DOT_IN_WORD_RE.test(v)) return;
      out.push({ kind: 'name', start: a, end: b, norm: v.toLowerCase().replace(/\s+/g, ' ') });
    },
  };
}

export const dobDetector: PhiDetector = createDobDetector();
export const mrnDetector: PhiDetector = createMrnDetector();
export const icd10Detector: PhiDetector = createIcd10Detector();
export const phoneDetector: PhiDetector = createPhoneDetector();
export const nameDetector: PhiDetector = createNameDetector();

/** The catalogue, in the order findings are reported. */
export const PHI_DETECTORS: readonly PhiDetector[] = Object.freeze([
  ssnDetector,
  emailDetector,
  cardDetector,
  dobDetector,
  mrnDetector,
  icd10Detector,
  phoneDetector,
  nameDetector,
]);

export interface PhiDetectorOptions {
  /** Free-text MRN regular expression (case-insensitive; group 1 = the number). Default DEFAULT_MRN_PATTERN. */
  mrnPattern?: string;
  /** More parameter names per named kind, added to the built-in lists. */
  extraParams?: Partial<Record<'dob' | 'mrn' | 'icd10' | 'phone' | 'name', readonly string[]>>;
}

/** The catalogue with configured MRN pattern and extra parameter names (same kinds, same order). */
export function createPhiDetectors(opts: PhiDetectorOptions = {}): readonly PhiDetector[] {
  const x = opts.extraParams ?? {};
  return Object.freeze([
    ssnDetector,
    emailDetector,
    cardDetector,
    createDobDetector(x.dob),
    createMrnDetector(opts.mrnPattern, x.mrn),
    createIcd10Detector(x.icd10),
    createPhoneDetector(x.phone),
    createNameDetector(x.name),
  ]);
}

// ---- finding ---------------------------------------------------------------------------------------

interface DetectorSet {
  list: readonly PhiDetector[];
  /** Detectors with a free-text scan. */
  text: readonly PhiDetector[];
  /** Parameter name (lowercase) → its detector (the first that names it). */
  byParam: ReadonlyMap<string, PhiDetector>;
  minKey: number;
  maxKey: number;
}

const compiledSets = new WeakMap<readonly PhiDetector[], DetectorSet>();

function detectorSet(list: readonly PhiDetector[]): DetectorSet {
  let set = compiledSets.get(list);
  if (set === undefined) {
    const byParam = new Map<string, PhiDetector>();
    let minKey = Number.POSITIVE_INFINITY;
    let maxKey = 0;
    for (const d of list) {
      if (d.params === undefined || d.scanValue === undefined) continue;
      for (const p of d.params) {
        if (byParam.has(p)) continue;
        byParam.set(p, d);
        minKey = Math.min(minKey, p.length);
        maxKey = Math.max(maxKey, p.length);
      }
    }
    set = { list, text: list.filter((d) => d.scan !== noScan), byParam, minKey, maxKey };
    compiledSets.set(list, set);
  }
  return set;
}

function isKeyChar(c: number): boolean {
  return isAlnum(c) || c === 0x5f || c === DASH;
}

/**
 * The named detector for a parameter name as written: lowercased; `billing[dob]` / `customer[address][phone]`
 * read as their last bracketed part; leading underscores dropped (`_billing_phone`, WordPress meta keys).
 */
function paramDetector(set: DetectorSet, key: string): PhiDetector | undefined {
  if (set.byParam.size === 0 || key.length < set.minKey) return undefined;
  let k = key;
  if (k.charCodeAt(k.length - 1) === 0x5d) {
    const lb = k.lastIndexOf('[');
    if (lb !== -1) k = k.slice(lb + 1, -1);
  }
  while (k.charCodeAt(0) === 0x5f) k = k.slice(1);
  if (k.length < set.minKey || k.length > set.maxKey) return undefined;
  return set.byParam.get(k) ?? set.byParam.get(k.toLowerCase());
}

/** `name=value`, `name: value`, `"name":"value"` pairs in free text whose name is a named detector's. */
function scanPairs(s: string, set: DetectorSet, out: PhiMatch[]): void {
  const n = s.length;
  let eq = s.indexOf('=');
  let colon = s.indexOf(':');
  while (eq !== -1 || colon !== -1) {
    let i: number;
    if (colon === -1 || (eq !== -1 && eq < colon)) {
      i = eq;
      eq = s.indexOf('=', i + 1);
    } else {
      i = colon;
      colon = s.indexOf(':', i + 1);
    }
    // the name before the separator (optionally quoted or bracketed)
    let e = i;
    let q = s.charCodeAt(e - 1);
    if (q === 0x22 || q === 0x27 || q === 0x5d) e--;
    else q = 0;
    let b = e;
    while (b > 0 && e - b <= set.maxKey + 1 && isKeyChar(s.charCodeAt(b - 1))) b--;
    if (q === 0x5d) {
      // `billing[dob]`: the bracketed name
      if (s.charCodeAt(b - 1) !== 0x5b) continue;
    }
    if (e - b < set.minKey || e - b > set.maxKey) continue;
    const d = paramDetector(set, s.slice(b, e));
    if (d === undefined) continue;
    // the value: blanks and one opening quote skipped; up to a delimiter
    let v = i + 1;
    while (v < n && s.charCodeAt(v) === SP) v++;
    const open = s.charCodeAt(v);
    if (open === 0x22 || open === 0x27) v++;
    let w = v;
    while (w < n) {
      const x = s.charCodeAt(w);
      if (
        x === 0x26 ||
        x === 0x3b ||
        x === 0x22 ||
        x === 0x27 ||
        x === 0x2c ||
        x === 0x29 ||
        x === 0x3c ||
        x === 0x3e ||
        isSpace(x)
      ) {
        // names and dates may hold blanks inside quotes
        if (isSpace(x) && (open === 0x22 || open === 0x27)) {
          w++;
          continue;
        }
        break;
      }
      w++;
    }
    if (w > v) (d.scanValue as NonNullable<PhiDetector['scanValue']>)(s, v, w, out);
    if (eq !== -1 && eq < w) eq = s.indexOf('=', w);
    if (colon !== -1 && colon < w) colon = s.indexOf(':', w);
  }
}

const NO_MATCHES: PhiMatch[] = [];
const scratch: PhiMatch[] = [];

function resolve(): PhiMatch[] {
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

function collect(s: string, set: DetectorSet, named: PhiDetector | undefined): PhiMatch[] {
  if (named !== undefined)
    (named.scanValue as NonNullable<PhiDetector['scanValue']>)(s, 0, s.length, scratch);
  if (s.length >= 6) {
    const text = set.text;
    for (let i = 0; i < text.length; i++) (text[i] as PhiDetector).scan(s, scratch);
    if (set.byParam.size > 0) scanPairs(s, set, scratch);
  }
  return resolve();
}

/**
 * Every PHI item in s, sorted by position, without overlaps (the earlier, then longer, wins).
 * With `param`, s is the value of a parameter of that name (named detectors read it whole).
 */
export function findPhi(
  s: string,
  detectors: readonly PhiDetector[] = PHI_DETECTORS,
  param?: string | null,
): PhiMatch[] {
  const set = detectorSet(detectors);
  const named = param == null ? undefined : paramDetector(set, param);
  return collect(s, set, named);
}

// ---- redactor --------------------------------------------------------------------------------------

// Lowercase letters and digits; inner underscores allowed for principal kinds (`api_key`), which
// never appear inside targets (route.ts tokenKind only recognises kinds without `_`).
const KIND_RE = /^[a-z0-9]+(?:_[a-z0-9]+)*$/;

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
  // A KeyObject made once (a private copy of the key): createHmac with a Buffer builds one per call.
  const hmacKey = createSecretKey(Buffer.from(key));
  const idKeys = new Set(opts.idQueryKeys ?? DEFAULT_ID_QUERY_KEYS);
  const cacheSize = opts.cacheSize ?? 20000;
  const detectors = opts.detectors ?? PHI_DETECTORS;
  const set = detectorSet(detectors);
  const memo = new Map<string, Map<string, string>>();
  const kindOrder = new Map<string, number>();
  for (const d of detectors) if (!kindOrder.has(d.kind)) kindOrder.set(d.kind, kindOrder.size);
  const phi = (s: string, param?: string) =>
    collect(s, set, param === undefined ? undefined : paramDetector(set, param));

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
      // Flat (memo.ts flatCopy): the concatenation is a cons string, and every event carrying this
      // token compares and hashes it downstream (scan's string table, the engine's maps), where a
      // cons string costs a call into the runtime each time. Made once per distinct value.
      t = flatCopy('tok_' + kind + '_' + hex.slice(0, 16));
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
      const ms = phi(path);
      if (ms.length === 0) return { path, mask: 0 };
      return { path: replaceMatches(path, ms), mask: maskOf(ms) };
    }
    // Percent-encoded: detect on each decoded segment, re-encode the segments we change.
    const segs = path.split('/');
    let mask = 0;
    for (let i = 0; i < segs.length; i++) {
      const raw = segs[i] as string;
      const dec = raw.indexOf('%') === -1 ? raw : safeDecode(raw);
      const ms = phi(dec);
      if (ms.length === 0) continue;
      mask |= maskOf(ms);
      segs[i] = replaceMatches(dec, ms, true);
    }
    return { path: mask === 0 ? path : segs.join('/'), mask };
  }

  function redactValue(key: string, raw: string): { value: string; mask: number } {
    if (raw === '' || tokenKind(raw) !== null) return { value: raw, mask: 0 };
    const dec = formDecode(raw);
    const ms = phi(dec, key);
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
        const ms = phi(dec);
        if (ms.length > 0) {
          mask |= maskOf(ms);
          const m0 = ms[0] as PhiMatch;
          out +=
            ms.length === 1 && m0.end - m0.start === dec.length ? token(m0.kind, m0.norm) : token('q', dec);
        } else out += part;
      } else {
        let key = q.slice(p, eq);
        const dk = formDecode(key);
        const km = phi(dk);
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

  function redactText(text: string, param?: string | null): RedactedText {
    const ms = phi(text, param ?? undefined);
    if (ms.length === 0) return { text, kinds: EMPTY };
    return { text: replaceMatches(text, ms), kinds: kindsOf(maskOf(ms)) };
  }

  return { token, redactTarget, redactText, detectors };
}
