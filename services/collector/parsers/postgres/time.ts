import { civilToMs, daysFromCivil } from '../lib/civil-time.js';

// Timestamps as PostgreSQL and its log shippers write them, to epoch ms UTC, by arithmetic
// (no Date.parse, no regular expressions):
//
// - `%t` / `%s` / csvlog `session_start_time`: `2020-03-11 20:40:43 CET`
// - `%m` / csvlog `log_time` / jsonlog `timestamp`: `2022-11-27 18:58:02.096 UTC`
// - `%n`: `1669575482.096` (epoch seconds with milliseconds)
// - GCP LogEntry `timestamp`: `2020-05-02T13:00:20.382318Z` (RFC 3339, any fraction, `Z` or `±hh:mm`)
// - BSD syslog stamp: `Feb 11 13:15:39` (no year, no zone: both come from the caller)
//
// The zone PostgreSQL prints is the log_timezone abbreviation (`CET`, `EDT`), or a numeric one
// (`+03`, `-0330`) for zones without a letter abbreviation. Abbreviations with a single meaning
// in tzdata are resolved from a fixed table; ambiguous ones (`CST`: US Central or China; `IST`:
// India, Ireland or Israel) and unknown ones need the `timezone` option. When that option names
// an IANA zone (`Europe/Paris`) the offset is computed for the instant with Intl, so DST is exact.

const D0 = 0x30;

export { daysFromCivil };

function digits(s: string, i: number, n: number): number {
  let v = 0;
  for (let k = 0; k < n; k++) {
    const c = s.charCodeAt(i + k) - D0;
    if (!(c >= 0 && c <= 9)) return -1;
    v = v * 10 + c;
  }
  return v;
}

/** Wall-clock fields → ms as if UTC, or NaN when a field is out of range. */
export function wallToMs(
  y: number,
  mo: number,
  d: number,
  h: number,
  mi: number,
  s: number,
  ms: number,
): number {
  if (y < 1970 || y > 9999) return Number.NaN;
  return civilToMs(y, mo, d, h, mi, s, ms, 0);
}

// ---- zones --------------------------------------------------------------------------------------

/** Abbreviations with one meaning in tzdata → offset east of UTC, in minutes. */
const ABBREVIATIONS: Readonly<Record<string, number>> = {
  UTC: 0,
  GMT: 0,
  UT: 0,
  Z: 0,
  WET: 0,
  WEST: 60,
  BST: 60,
  CET: 60,
  CEST: 120,
  MET: 60,
  MEST: 120,
  EET: 120,
  EEST: 180,
  MSK: 180,
  SAST: 120,
  EST: -300,
  EDT: -240,
  CDT: -300,
  MST: -420,
  MDT: -360,
  PST: -480,
  PDT: -420,
  AKST: -540,
  AKDT: -480,
  HST: -600,
  AST: -240,
  ADT: -180,
  NST: -210,
  NDT: -150,
  JST: 540,
  KST: 540,
  HKT: 480,
  AWST: 480,
  ACST: 570,
  ACDT: 630,
  AEST: 600,
  AEDT: 660,
  NZST: 720,
  NZDT: 780,
};

/**
 * A zone as the `timezone` option or a stamp names it: returns a function from wall-clock ms
 * (the local time read as if UTC) to the UTC offset in ms, or null when the name is unknown.
 */
export type ZoneResolver = (wallMs: number) => number;

const fixedCache = new Map<number, ZoneResolver>();

function fixed(minutes: number): ZoneResolver {
  let f = fixedCache.get(minutes);
  if (f === undefined) {
    const off = minutes * 60000;
    f = () => off;
    fixedCache.set(minutes, f);
  }
  return f;
}

/** `+03`, `-0330`, `+05:30`, `+1` → minutes east of UTC; NaN when not numeric. */
export function numericOffsetMinutes(z: string): number {
  const sign = z.charCodeAt(0);
  if ((sign !== 0x2b && sign !== 0x2d) || z.length < 2 || z.length > 6) return Number.NaN;
  const body = z.length === 6 && z.charCodeAt(3) === 0x3a ? z.slice(1, 3) + z.slice(4) : z.slice(1);
  let h: number;
  let m = 0;
  if (body.length === 1 || body.length === 2) h = digits(body, 0, body.length);
  else if (body.length === 4) {
    h = digits(body, 0, 2);
    m = digits(body, 2, 2);
  } else return Number.NaN;
  if (h < 0 || h > 15 || m < 0 || m > 59) return Number.NaN;
  return (sign === 0x2d ? -1 : 1) * (h * 60 + m);
}

const ianaCache = new Map<string, ZoneResolver | null>();

function iana(name: string): ZoneResolver | null {
  if (ianaCache.has(name)) return ianaCache.get(name) ?? null;
  let fmt: Intl.DateTimeFormat;
  try {
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone: name,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  } catch {
    ianaCache.set(name, null);
    return null;
  }
  // Offset at a UTC instant, cached per hour (offsets change on hour boundaries in practice).
  const byHour = new Map<number, number>();
  const offsetAt = (utcMs: number): number => {
    const hour = Math.floor(utcMs / 3600000);
    const hit = byHour.get(hour);
    if (hit !== undefined) return hit;
    const parts = fmt.formatToParts(new Date(hour * 3600000));
    const get = (t: string): number => Number(parts.find((p) => p.type === t)?.value ?? Number.NaN);
    const wall = Date.UTC(
      get('year'),
      get('month') - 1,
      get('day'),
      get('hour'),
      get('minute'),
      get('second'),
    );
    const off = wall - hour * 3600000;
    if (byHour.size > 50000) byHour.clear();
    byHour.set(hour, off);
    return off;
  };
  const r: ZoneResolver = (wallMs) => {
    // Two rounds settle the offset for every wall time but the skipped/repeated DST hour.
    const o1 = offsetAt(wallMs - offsetAt(wallMs));
    return offsetAt(wallMs - o1);
  };
  ianaCache.set(name, r);
  return r;
}

/** A zone name (abbreviation, numeric offset or IANA name) → resolver, or null when unknown. */
export function resolveZone(name: string): ZoneResolver | null {
  if (name.length === 0 || name.length > 64) return null;
  const abbr = ABBREVIATIONS[name];
  if (abbr !== undefined) return fixed(abbr);
  const num = numericOffsetMinutes(name);
  if (!Number.isNaN(num)) return fixed(num);
  // Abbreviations are upper-case letters; IANA names have a `/` (or are `UTC`-like, handled above).
  if (name.indexOf('/') === -1) return null;
  return iana(name);
}

/** Wall-clock ms + zone text as printed in the stamp (may be '') → UTC ms, or NaN. */
function applyZone(wallMs: number, zone: string, fallback: ZoneResolver | null): number {
  if (Number.isNaN(wallMs)) return Number.NaN;
  let r: ZoneResolver | null = null;
  if (zone !== '') {
    const abbr = ABBREVIATIONS[zone];
    if (abbr !== undefined) r = fixed(abbr);
    else {
      const num = numericOffsetMinutes(zone);
      if (!Number.isNaN(num)) r = fixed(num);
    }
  }
  // No zone in the stamp: the option, else UTC. An unknown or ambiguous abbreviation: only the
  // option can say what it means.
  if (r === null) r = fallback ?? (zone === '' ? fixed(0) : null);
  if (r === null) return Number.NaN;
  return wallMs - r(wallMs);
}

// ---- stamps --------------------------------------------------------------------------------------

/**
 * Length of a `YYYY-MM-DD HH:MM:SS[.fff] ZONE` stamp at s[i] (the zone is letters, or a sign
 * and digits), or -1. `withFraction`: 'required' for %m, 'forbidden' for %t, 'optional'.
 */
export function stampLength(
  s: string,
  i: number,
  withFraction: 'required' | 'forbidden' | 'optional',
): number {
  if (s.length - i < 19) return -1;
  if (
    digits(s, i, 4) < 0 ||
    s.charCodeAt(i + 4) !== 0x2d ||
    digits(s, i + 5, 2) < 0 ||
    s.charCodeAt(i + 7) !== 0x2d ||
    digits(s, i + 8, 2) < 0 ||
    s.charCodeAt(i + 10) !== 0x20 ||
    digits(s, i + 11, 2) < 0 ||
    s.charCodeAt(i + 13) !== 0x3a ||
    digits(s, i + 14, 2) < 0 ||
    s.charCodeAt(i + 16) !== 0x3a ||
    digits(s, i + 17, 2) < 0
  )
    return -1;
  let j = i + 19;
  if (s.charCodeAt(j) === 0x2e) {
    if (withFraction === 'forbidden') return -1;
    j++;
    const f0 = j;
    while (j < s.length && j - f0 < 9 && digits(s, j, 1) >= 0) j++;
    if (j === f0) return -1;
  } else if (withFraction === 'required') return -1;
  // zone: ` ` then letters/digits/sign, up to 6 chars (`+0530`, `AEDT`); absent is allowed.
  if (s.charCodeAt(j) === 0x20) {
    let k = j + 1;
    const z0 = k;
    while (k < s.length && k - z0 <= 6) {
      const c = s.charCodeAt(k);
      const ok =
        (c >= 0x41 && c <= 0x5a) ||
        (c >= 0x61 && c <= 0x7a) ||
        (c >= D0 && c <= 0x39) ||
        c === 0x2b ||
        c === 0x2d;
      if (!ok) break;
      k++;
    }
    if (k > z0 && k - z0 <= 6) {
      const first = s.charCodeAt(z0);
      // A zone starts with a letter or a sign (a digit would be the next field).
      if (
        (first >= 0x41 && first <= 0x5a) ||
        (first >= 0x61 && first <= 0x7a) ||
        first === 0x2b ||
        first === 0x2d
      )
        j = k;
    }
  }
  return j - i;
}

/** `YYYY-MM-DD HH:MM:SS[.fff][ ZONE]` (whole string) → epoch ms, or NaN. */
export function parsePgStamp(text: string, fallback: ZoneResolver | null): number {
  const n = stampLength(text, 0, 'optional');
  if (n !== text.length) return Number.NaN;
  let ms = 0;
  let j = 19;
  if (text.charCodeAt(j) === 0x2e) {
    j++;
    let scale = 100;
    while (j < text.length && digits(text, j, 1) >= 0) {
      ms += (text.charCodeAt(j) - D0) * scale;
      scale /= 10;
      j++;
    }
    ms = Math.floor(ms);
  }
  const zone = j < text.length ? text.slice(j + 1) : '';
  const wall = wallToMs(
    digits(text, 0, 4),
    digits(text, 5, 2),
    digits(text, 8, 2),
    digits(text, 11, 2),
    digits(text, 14, 2),
    digits(text, 17, 2),
    ms,
  );
  return applyZone(wall, zone, fallback);
}

/** `%n`: `1669575482.096` → epoch ms, or NaN. */
export function parseEpochSeconds(text: string): number {
  if (text.length === 0 || text.length > 20) return Number.NaN;
  let v = 0;
  let i = 0;
  while (i < text.length && digits(text, i, 1) >= 0) v = v * 10 + (text.charCodeAt(i++) - D0);
  if (i === 0) return Number.NaN;
  let ms = 0;
  if (i < text.length) {
    if (text.charCodeAt(i) !== 0x2e) return Number.NaN;
    i++;
    let scale = 100;
    const f0 = i;
    while (i < text.length && digits(text, i, 1) >= 0) {
      ms += (text.charCodeAt(i++) - D0) * scale;
      scale /= 10;
    }
    if (i !== text.length || i === f0) return Number.NaN;
  }
  return v * 1000 + Math.floor(ms);
}

/** RFC 3339 `2020-05-02T13:00:20.382318Z` / `...+01:00` (also a space for `T`) → epoch ms, or NaN. */
export function parseIsoStamp(text: string): number {
  if (text.length < 20 || text.length > 40) return Number.NaN;
  const t = text.charCodeAt(10);
  if (t !== 0x54 && t !== 0x20) return Number.NaN;
  if (text.charCodeAt(4) !== 0x2d || text.charCodeAt(7) !== 0x2d) return Number.NaN;
  if (text.charCodeAt(13) !== 0x3a || text.charCodeAt(16) !== 0x3a) return Number.NaN;
  let j = 19;
  let ms = 0;
  if (text.charCodeAt(j) === 0x2e) {
    j++;
    let scale = 100;
    const f0 = j;
    while (j < text.length && digits(text, j, 1) >= 0) {
      ms += (text.charCodeAt(j++) - D0) * scale;
      scale /= 10;
    }
    if (j === f0) return Number.NaN;
    ms = Math.floor(ms);
  }
  const wall = wallToMs(
    digits(text, 0, 4),
    digits(text, 5, 2),
    digits(text, 8, 2),
    digits(text, 11, 2),
    digits(text, 14, 2),
    digits(text, 17, 2),
    ms,
  );
  const zone = text.slice(j);
  if (zone === 'Z' || zone === 'z') return wall;
  const off = numericOffsetMinutes(zone);
  if (Number.isNaN(off) || zone.length < 3) return Number.NaN;
  return wall - off * 60000;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Month of a BSD syslog stamp `Feb 11 13:15:39` at s[0] (1..12), or -1 when it is not one. */
export function syslogMonth(s: string): number {
  if (s.length < 15 || s.charCodeAt(3) !== 0x20 || s.charCodeAt(6) !== 0x20) return -1;
  const m = MONTHS.indexOf(s.slice(0, 3)) + 1;
  if (m === 0) return -1;
  const d1 = s.charCodeAt(4);
  if (!(d1 === 0x20 || (d1 >= D0 && d1 <= 0x39)) || digits(s, 5, 1) < 0) return -1;
  if (digits(s, 7, 2) < 0 || s.charCodeAt(9) !== 0x3a || digits(s, 10, 2) < 0 || s.charCodeAt(12) !== 0x3a)
    return -1;
  if (digits(s, 13, 2) < 0) return -1;
  return m;
}

/** BSD syslog stamp at s[0] (checked by syslogMonth) in the given year and zone → epoch ms, or NaN. */
export function parseSyslogStamp(s: string, year: number, zone: ZoneResolver): number {
  const m = syslogMonth(s);
  if (m < 0) return Number.NaN;
  const d = s.charCodeAt(4) === 0x20 ? digits(s, 5, 1) : digits(s, 4, 2);
  const wall = wallToMs(year, m, d, digits(s, 7, 2), digits(s, 10, 2), digits(s, 13, 2), 0);
  return Number.isNaN(wall) ? wall : wall - zone(wall);
}
