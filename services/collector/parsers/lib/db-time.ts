// Time stamps written by MySQL / MariaDB logs, and the `timezone` option of the formats that
// write local times without a zone.
//
//  - `071218 11:48:27`, `131128  1:05:31`, `051007   21:55:24`: YYMMDD, blanks, H:MM:SS (the
//    hour is space-padded, not zero-padded). Slow and general logs of MySQL <= 5.6, in the
//    server's local zone, which the log does not say: the `timezone` option gives it.
//  - `2016-07-20T18:13:25.698433Z`, `2018-09-07T18:45:40.098124+08:00`: MySQL >= 5.7
//    (log_timestamps=UTC writes `Z`, SYSTEM writes the offset). A missing zone takes the option.
//  - `2020-10-19 19:21:33`: the Enterprise audit JSON `timestamp` (UTC per the MySQL manual).
//  - `20231124 10:23:45`: MariaDB server_audit, local time.
//  - `Nov 24 10:23:45`: syslog, local time, no year (the `year` option of the caller).
// All are converted by arithmetic (no Date.parse); a value that is not a real date is NaN.
// Two-digit years are 20YY for 00..69 and 19YY for 70..99 (MySQL's own rule).

import { ConfigInvalid } from '#shared/errors.js';
import { civilToMs } from './civil-time.js';

const D0 = 0x30;

function digit(s: string, i: number): number {
  const c = s.charCodeAt(i) - D0;
  return c >= 0 && c <= 9 ? c : -1;
}

function d2(s: string, i: number): number {
  const a = digit(s, i);
  const b = digit(s, i + 1);
  return a < 0 || b < 0 ? -1 : a * 10 + b;
}

function isBlank(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

export { civilToMs };

/** Result of a time scan: epoch ms (NaN when invalid) and the index just after the time. */
export interface TimeScan {
  ms: number;
  end: number;
}

const BAD: TimeScan = { ms: Number.NaN, end: -1 };

/** `H:MM:SS` or `HH:MM:SS` at i (hour 1 or 2 digits); returns [hh, mm, ss, end] or null. */
function hms(s: string, i: number): [number, number, number, number] | null {
  let hh = digit(s, i);
  if (hh < 0) return null;
  let j = i + 1;
  const h2 = digit(s, j);
  if (h2 >= 0) {
    hh = hh * 10 + h2;
    j++;
  }
  if (s.charCodeAt(j) !== 0x3a) return null;
  const mm = d2(s, j + 1);
  if (mm < 0 || s.charCodeAt(j + 3) !== 0x3a) return null;
  const ss = d2(s, j + 4);
  if (ss < 0) return null;
  return [hh, mm, ss, j + 6];
}

/** Optional `.ffffff` at i: [ms, end]. */
function fraction(s: string, i: number): [number, number] {
  if (s.charCodeAt(i) !== 0x2e) return [0, i];
  let j = i + 1;
  let ms = 0;
  let scale = 100;
  while (j < s.length && j - i <= 9) {
    const d = digit(s, j);
    if (d < 0) break;
    ms += d * scale;
    scale /= 10;
    j++;
  }
  if (j === i + 1) return [0, i];
  return [Math.floor(ms), j];
}

/** MySQL <= 5.6 `YYMMDD HH:MM:SS` (any blanks between, hour space-padded) at `from`. */
export function scanShortTime(s: string, from: number, offsetMin: number): TimeScan {
  const yy = d2(s, from);
  const mo = d2(s, from + 2);
  const dd = d2(s, from + 4);
  if (yy < 0 || mo < 0 || dd < 0) return BAD;
  let j = from + 6;
  if (!isBlank(s.charCodeAt(j))) return BAD;
  const stop = Math.min(s.length, j + 8);
  while (j < stop && isBlank(s.charCodeAt(j))) j++;
  const t = hms(s, j);
  if (t === null) return BAD;
  const [ms, end] = fraction(s, t[3]);
  const year = yy < 70 ? 2000 + yy : 1900 + yy;
  return { ms: civilToMs(year, mo, dd, t[0], t[1], t[2], ms, offsetMin), end };
}

/**
 * `YYYY-MM-DDTHH:MM:SS[.f][Z|±HH:MM|±HHMM]` (or a space instead of `T`) at `from`; without a zone
 * the time is local at `defaultOffsetMin`.
 */
export function scanIsoTime(s: string, from: number, defaultOffsetMin: number): TimeScan {
  const y1 = d2(s, from);
  const y2 = d2(s, from + 2);
  const mo = d2(s, from + 5);
  const dd = d2(s, from + 8);
  const sep = s.charCodeAt(from + 10);
  if (
    y1 < 0 ||
    y2 < 0 ||
    mo < 0 ||
    dd < 0 ||
    s.charCodeAt(from + 4) !== 0x2d ||
    s.charCodeAt(from + 7) !== 0x2d ||
    (sep !== 0x54 && sep !== 0x20)
  )
    return BAD;
  const hh = d2(s, from + 11);
  const mm = d2(s, from + 14);
  const ss = d2(s, from + 17);
  if (hh < 0 || mm < 0 || ss < 0 || s.charCodeAt(from + 13) !== 0x3a || s.charCodeAt(from + 16) !== 0x3a)
    return BAD;
  const [ms, j] = fraction(s, from + 19);
  let end = j;
  let offset = defaultOffsetMin;
  const z = s.charCodeAt(j);
  if (z === 0x5a) {
    offset = 0;
    end = j + 1;
  } else if (z === 0x2b || z === 0x2d) {
    const oh = d2(s, j + 1);
    let om = -1;
    let e = -1;
    if (s.charCodeAt(j + 3) === 0x3a) {
      om = d2(s, j + 4);
      e = j + 6;
    } else {
      om = d2(s, j + 3);
      e = j + 5;
    }
    if (oh >= 0 && om >= 0 && oh <= 23 && om <= 59) {
      offset = (z === 0x2d ? -1 : 1) * (oh * 60 + om);
      end = e;
    }
  }
  return { ms: civilToMs(y1 * 100 + y2, mo, dd, hh, mm, ss, ms, offset), end };
}

/** MariaDB server_audit `YYYYMMDD HH:MM:SS` at `from`. */
export function scanCompactTime(s: string, from: number, offsetMin: number): TimeScan {
  const y1 = d2(s, from);
  const y2 = d2(s, from + 2);
  const mo = d2(s, from + 4);
  const dd = d2(s, from + 6);
  if (y1 < 0 || y2 < 0 || mo < 0 || dd < 0 || s.charCodeAt(from + 8) !== 0x20) return BAD;
  const t = hms(s, from + 9);
  if (t === null || t[3] !== from + 17) return BAD;
  return { ms: civilToMs(y1 * 100 + y2, mo, dd, t[0], t[1], t[2], 0, offsetMin), end: t[3] };
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/** Syslog `Mon dd HH:MM:SS` (day space-padded) at `from`, in `year`. */
export function scanSyslogTime(s: string, from: number, year: number, offsetMin: number): TimeScan {
  const mon = MONTHS.indexOf(s.slice(from, from + 3).toLowerCase()) + 1;
  if (mon === 0 || s.charCodeAt(from + 3) !== 0x20) return BAD;
  let j = from + 4;
  if (s.charCodeAt(j) === 0x20) j++;
  let day = digit(s, j);
  if (day < 0) return BAD;
  j++;
  const d = digit(s, j);
  if (d >= 0) {
    day = day * 10 + d;
    j++;
  }
  if (s.charCodeAt(j) !== 0x20) return BAD;
  const t = hms(s, j + 1);
  if (t === null) return BAD;
  return { ms: civilToMs(year, mon, day, t[0], t[1], t[2], 0, offsetMin), end: t[3] };
}

/** `+00:00`, `-05:00`, `+0530`, `Z`, `UTC` → minutes east of UTC; NaN when not an offset. */
export function parseOffset(zone: string): number {
  const z = zone.trim();
  if (z === 'Z' || z.toUpperCase() === 'UTC') return 0;
  const m = /^([+-])(\d{2}):?(\d{2})$/.exec(z);
  if (m === null) return Number.NaN;
  const h = Number(m[2]);
  const mi = Number(m[3]);
  if (h > 23 || mi > 59) return Number.NaN;
  return (m[1] === '-' ? -1 : 1) * (h * 60 + mi);
}

/** Options every MySQL / MariaDB format takes. */
export interface DbTimeOptions {
  /** Zone of local time stamps (5.0-5.6 logs, MariaDB audit, syslog): `+00:00` (default), `-05:00`, `Z`. */
  timezone: string;
  /**
   * Time (epoch ms) to give records the log does not date at all (a slow log without `# Time:`
   * or `SET timestamp`, a general log cut before its first time stamp): the file's mtime, for
   * instance. Without it such records are rejected `no_timestamp`.
   */
  undatedTimeMs: number | null;
  /** Largest record kept, in characters (default 1 MiB); a longer one is rejected `record_too_long`. */
  maxRecordChars: number;
}

export const DEFAULT_MAX_RECORD_CHARS = 1 << 20;

/** Validates the shared options; throws ConfigInvalid listing every problem. */
export function resolveDbTimeOptions(
  format: string,
  options: Partial<DbTimeOptions> | undefined,
  otherProblems: readonly string[] = [],
): { offsetMin: number; undatedTimeMs: number | null; maxRecordChars: number } {
  const problems: string[] = [...otherProblems];
  const tz = options?.timezone ?? '+00:00';
  const offsetMin = typeof tz === 'string' ? parseOffset(tz) : Number.NaN;
  if (Number.isNaN(offsetMin))
    problems.push(`timezone must be an offset like +00:00 or -05:00, got ${JSON.stringify(tz)}`);
  const undated = options?.undatedTimeMs ?? null;
  if (undated !== null && !(typeof undated === 'number' && Number.isFinite(undated)))
    problems.push('undatedTimeMs must be a finite number of epoch milliseconds');
  const max = options?.maxRecordChars ?? DEFAULT_MAX_RECORD_CHARS;
  if (!(typeof max === 'number' && Number.isInteger(max) && max >= 1024))
    problems.push('maxRecordChars must be an integer >= 1024');
  if (problems.length > 0) throw ConfigInvalid(`${format}: ${problems.join('; ')}`);
  return { offsetMin, undatedTimeMs: undated, maxRecordChars: max };
}

/** Raw text kept in a Rejected result: at most this many characters. */
export const REJECT_TEXT_CHARS = 8192;

export function rejectText(s: string): string {
  return s.length > REJECT_TEXT_CHARS ? s.slice(0, REJECT_TEXT_CHARS) : s;
}
