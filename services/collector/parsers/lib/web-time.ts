// Time stamps of the web-server logs (nginx, apache, json-access): `$time_local` / Apache `%t`
// (from combined-line.ts), ISO 8601 with a zone (`$time_iso8601`, JSON logs), epoch seconds / ms /
// us / ns (`$msec`, Caddy `ts`, Traefik), and Apache `%{strftime}t` programs. Nothing here throws
// on input; NaN means "not a time".

import { civilToMs, d2 } from './civil-time.js';
import { parseTimeLocal } from './combined-line.js';

const SP = 0x20;
const DASH = 0x2d;
const PLUS = 0x2b;
const COLON = 0x3a;
const DOT = 0x2e;
const D0 = 0x30;
const D9 = 0x39;

function isDigit(c: number): boolean {
  return c >= D0 && c <= D9;
}

// ---- time stamps ------------------------------------------------------------------------------------

/** Apache `%t`: `[dd/Mon/yyyy:HH:MM:SS ±hhmm]` (brackets included) → epoch ms, NaN when invalid. */
export function parseBracketedTimeLocal(s: string): number {
  if (s.charCodeAt(0) !== 0x5b || s.charCodeAt(s.length - 1) !== 0x5d) return Number.NaN;
  return parseTimeLocal(s, 1, s.length - 1);
}

/**
 * ISO 8601 / RFC 3339 date-time with a zone: `2015-05-17T10:05:03+00:00`, `...03.123456Z`,
 * `...03+0530`, `...03+05`; `T` or a space between date and time. No zone → NaN (the zone of a
 * zone-less stamp is unknown and guessing it shifts every event by hours).
 */
export function parseIso8601(s: string, from = 0, to = s.length): number {
  if (to - from < 17) return Number.NaN;
  const i = from;
  const y1 = d2(s, i);
  const y2 = d2(s, i + 2);
  const mo = d2(s, i + 5);
  const dd = d2(s, i + 8);
  const sep = s.charCodeAt(i + 10);
  const hh = d2(s, i + 11);
  const mi = d2(s, i + 14);
  if (
    y1 < 0 ||
    y2 < 0 ||
    s.charCodeAt(i + 4) !== DASH ||
    s.charCodeAt(i + 7) !== DASH ||
    (sep !== 0x54 && sep !== 0x74 && sep !== SP) ||
    s.charCodeAt(i + 13) !== COLON ||
    mo < 0 ||
    dd < 0 ||
    hh < 0 ||
    mi < 0
  )
    return Number.NaN;
  let j = i + 16;
  let ss = 0;
  let ms = 0;
  if (s.charCodeAt(j) === COLON) {
    ss = d2(s, j + 1);
    if (ss < 0) return Number.NaN;
    j += 3;
    const c = s.charCodeAt(j);
    if (c === DOT || c === 0x2c) {
      j++;
      const f0 = j;
      let scale = 100;
      while (j < to && isDigit(s.charCodeAt(j))) {
        ms += (s.charCodeAt(j) - D0) * scale;
        scale /= 10;
        j++;
      }
      if (j === f0 || j - f0 > 9) return Number.NaN;
      ms = Math.floor(ms);
    }
  }
  let off = 0;
  const z = s.charCodeAt(j);
  if ((z === 0x5a || z === 0x7a) && j + 1 === to) {
    off = 0;
  } else if (z === PLUS || z === DASH) {
    const zh = d2(s, j + 1);
    let zm = 0;
    const rest = to - j - 3;
    if (rest === 0) zm = 0;
    else if (rest === 3 && s.charCodeAt(j + 3) === COLON) zm = d2(s, j + 4);
    else if (rest === 2) zm = d2(s, j + 3);
    else return Number.NaN;
    if (zh < 0 || zh > 23 || zm < 0 || zm > 59) return Number.NaN;
    off = (z === DASH ? -1 : 1) * (zh * 60 + zm);
  } else {
    return Number.NaN;
  }
  return civilToMs(y1 * 100 + y2, mo, dd, hh, mi, ss, ms, off);
}

/**
 * An epoch number whose unit is told by its magnitude: seconds (< 1e11, i.e. before year 5138),
 * milliseconds (< 1e14), microseconds (< 1e17), else nanoseconds → epoch ms (floored). NaN when
 * not finite or negative.
 */
export function epochToMs(n: number): number {
  if (!Number.isFinite(n) || n < 0) return Number.NaN;
  if (n < 1e11) return Math.floor(n * 1000);
  if (n < 1e14) return Math.floor(n);
  if (n < 1e17) return Math.floor(n / 1000);
  return Math.floor(n / 1e6);
}

/** `digits[.digits]` between from and to as a number; NaN otherwise (no sign, no exponent). */
export function parseDecimal(s: string, from = 0, to = s.length): number {
  if (to <= from || to - from > 40) return Number.NaN;
  let v = 0;
  let i = from;
  const i0 = i;
  while (i < to && isDigit(s.charCodeAt(i))) v = v * 10 + (s.charCodeAt(i++) - D0);
  if (i === i0) return Number.NaN;
  if (i === to) return v;
  if (s.charCodeAt(i) !== DOT) return Number.NaN;
  i++;
  let scale = 0.1;
  const f0 = i;
  while (i < to && isDigit(s.charCodeAt(i))) {
    v += (s.charCodeAt(i++) - D0) * scale;
    scale /= 10;
  }
  if (i !== to || i === f0) return Number.NaN;
  return v;
}

/** A time stamp written as text in any of the shapes above (JSON logs): ISO, time_local, epoch. */
export function parseAnyTimestamp(s: string): number {
  const n = s.length;
  if (n === 0) return Number.NaN;
  const c0 = s.charCodeAt(0);
  if (c0 === 0x5b) return parseBracketedTimeLocal(s);
  if (n >= 17 && s.charCodeAt(4) === DASH) return parseIso8601(s, 0, n);
  if (n >= 26 && s.charCodeAt(2) === 0x2f) return parseTimeLocal(s, 0, n);
  return epochToMs(parseDecimal(s, 0, n));
}

// ---- Apache %{strftime}t -------------------------------------------------------------------------------

/** A compiled strftime format: literal strings and directive letters (char codes) in order. */
export interface TimeProgram {
  tokens: ReadonlyArray<string | number>;
  /** The format rendered for 2000-01-10 10:00:00 +0000: used to count separators inside values. */
  sample: string;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/**
 * Compiles a strftime format (Apache `%{...}t`). Supported: %Y %y %m %d %e %H %M %S %b %h %B %a
 * %A %z %Z %T %F %D %R %s %% %n %t. Adds to problems what it cannot use: an unknown directive,
 * or a format without a zone (%z, %Z or %s): a zone-less local time cannot be placed in UTC.
 */
export function compileStrftime(fmt: string, where: string, problems: string[]): TimeProgram {
  const tokens: Array<string | number> = [];
  let sample = '';
  let lit = '';
  const expand: Record<string, string> = { T: '%H:%M:%S', F: '%Y-%m-%d', D: '%m/%d/%y', R: '%H:%M' };
  const samples: Record<string, string> = {
    Y: '2000',
    y: '00',
    m: '01',
    d: '10',
    e: '10',
    H: '10',
    M: '00',
    S: '00',
    b: 'Jan',
    h: 'Jan',
    B: 'January',
    a: 'Mon',
    A: 'Monday',
    z: '+0000',
    Z: 'UTC',
    s: '947498400',
  };
  let src = fmt;
  for (const [k, v] of Object.entries(expand)) src = src.split(`%${k}`).join(v);
  let zone = false;
  let date = 0;
  for (let i = 0; i < src.length; i++) {
    const ch = src[i] as string;
    if (ch !== '%') {
      lit += ch;
      sample += ch;
      continue;
    }
    const d = src[++i];
    if (d === undefined) {
      problems.push(`${where}: a lone % at the end of the time format`);
      break;
    }
    if (d === '%') {
      lit += '%';
      sample += '%';
      continue;
    }
    if (d === 'n' || d === 't') {
      lit += d === 'n' ? '\n' : '\t';
      sample += d === 'n' ? '\n' : '\t';
      continue;
    }
    const smp = samples[d];
    if (smp === undefined) {
      problems.push(`${where}: time directive %${d} is not supported`);
      continue;
    }
    if (lit !== '') tokens.push(lit);
    lit = '';
    tokens.push(d.charCodeAt(0));
    sample += smp;
    if (d === 'z' || d === 'Z' || d === 's') zone = true;
    if ('YymdebhBHM'.includes(d)) date++;
    if (d === 's') date = 99;
  }
  if (lit !== '') tokens.push(lit);
  if (!zone)
    problems.push(
      `${where}: the time format has no zone (%z): add %z to the LogFormat, a zone-less local time cannot be placed in UTC`,
    );
  else if (date < 5) problems.push(`${where}: the time format lacks year, month, day, hour or minute`);
  return { tokens, sample };
}

function monthFromLetters(s: string, from: number): number {
  const k = s.slice(from, from + 3).toLowerCase();
  return MONTHS.indexOf(k) + 1;
}

/** Runs a TimeProgram over s → epoch ms, NaN when the text does not fit it. */
export function parseStrftime(p: TimeProgram, s: string): number {
  let i = 0;
  const n = s.length;
  let year = -1;
  let month = -1;
  let day = -1;
  let hh = 0;
  let mm = 0;
  let ss = 0;
  let off = Number.NaN;
  let epoch = Number.NaN;
  for (const t of p.tokens) {
    if (typeof t === 'string') {
      if (!s.startsWith(t, i)) return Number.NaN;
      i += t.length;
      continue;
    }
    switch (t) {
      case 0x59: {
        // Y
        const a = d2(s, i);
        const b = d2(s, i + 2);
        if (a < 0 || b < 0) return Number.NaN;
        year = a * 100 + b;
        i += 4;
        break;
      }
      case 0x79: {
        // y
        const a = d2(s, i);
        if (a < 0) return Number.NaN;
        year = a < 69 ? 2000 + a : 1900 + a;
        i += 2;
        break;
      }
      case 0x65: {
        // e: space-padded day
        const v = s.charCodeAt(i) === SP ? d2(`0${s[i + 1] ?? ''}`, 0) : d2(s, i);
        if (v < 0) return Number.NaN;
        day = v;
        i += 2;
        break;
      }
      case 0x6d:
      case 0x64:
      case 0x48:
      case 0x4d:
      case 0x53: {
        const v = d2(s, i);
        if (v < 0) return Number.NaN;
        if (t === 0x6d) month = v;
        else if (t === 0x64) day = v;
        else if (t === 0x48) hh = v;
        else if (t === 0x4d) mm = v;
        else ss = v;
        i += 2;
        break;
      }
      case 0x62:
      case 0x68:
      case 0x42:
      case 0x61:
      case 0x41: {
        const i0 = i;
        while (i < n && (s.charCodeAt(i) | 0x20) >= 0x61 && (s.charCodeAt(i) | 0x20) <= 0x7a) i++;
        if (i - i0 < 3) return Number.NaN;
        if (t === 0x62 || t === 0x68 || t === 0x42) {
          month = monthFromLetters(s, i0);
          if (month === 0) return Number.NaN;
        }
        break;
      }
      case 0x7a: {
        // z: ±hhmm or ±hh:mm
        const sign = s.charCodeAt(i);
        const zh = d2(s, i + 1);
        let k = i + 3;
        if (s.charCodeAt(k) === COLON) k++;
        const zm = d2(s, k);
        if ((sign !== PLUS && sign !== DASH) || zh < 0 || zh > 23 || zm < 0 || zm > 59) return Number.NaN;
        off = (sign === DASH ? -1 : 1) * (zh * 60 + zm);
        i = k + 2;
        break;
      }
      case 0x5a: {
        // Z: only zone names that mean UTC
        const i0 = i;
        while (i < n && (s.charCodeAt(i) | 0x20) >= 0x61 && (s.charCodeAt(i) | 0x20) <= 0x7a) i++;
        const name = s.slice(i0, i).toUpperCase();
        if (name !== 'UTC' && name !== 'GMT' && name !== 'Z') return Number.NaN;
        off = 0;
        break;
      }
      case 0x73: {
        const i0 = i;
        while (i < n && isDigit(s.charCodeAt(i))) i++;
        if (i === i0 || i - i0 > 12) return Number.NaN;
        epoch = Number(s.slice(i0, i)) * 1000;
        break;
      }
      default:
        return Number.NaN;
    }
  }
  if (i !== n) return Number.NaN;
  if (!Number.isNaN(epoch)) return epoch;
  if (Number.isNaN(off) || year < 0) return Number.NaN;
  return civilToMs(year, month, day, hh, mm, ss, 0, off);
}
