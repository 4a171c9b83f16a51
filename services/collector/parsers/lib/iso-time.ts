// ISO 8601 / RFC 3339 stamps as the JSON formats (cloudtrail, api-json) carry them.
import { DAYS_IN_MONTH, d2, daysFromCivil } from './civil-time.js';

/**
 * ISO 8601 / RFC 3339 date-time → epoch ms UTC, or NaN.
 * `YYYY-MM-DD[T| ]HH:MM[:SS[.fraction]][Z | ±HH:MM | ±HHMM | ±HH]`. Without a zone the time is
 * read as UTC. A fraction keeps milliseconds (truncated). Leap second 60 is accepted.
 */
export function parseIsoTimestamp(s: string): number {
  const n = s.length;
  if (n < 16 || n > 40) return Number.NaN;
  const y1 = d2(s, 0);
  const y2 = d2(s, 2);
  const mo = d2(s, 5);
  const day = d2(s, 8);
  const sep = s.charCodeAt(10);
  const hh = d2(s, 11);
  const mi = d2(s, 14);
  if (
    y1 < 0 ||
    y2 < 0 ||
    s.charCodeAt(4) !== 0x2d ||
    s.charCodeAt(7) !== 0x2d ||
    !(sep === 0x54 || sep === 0x74 || sep === 0x20) ||
    s.charCodeAt(13) !== 0x3a ||
    mo < 1 ||
    mo > 12 ||
    day < 1 ||
    hh < 0 ||
    hh > 23 ||
    mi < 0 ||
    mi > 59
  ) {
    return Number.NaN;
  }
  const year = y1 * 100 + y2;
  if (day > (DAYS_IN_MONTH[mo] ?? 0)) return Number.NaN;
  if (mo === 2 && day === 29 && !(year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0))) {
    return Number.NaN;
  }
  let j = 16;
  let ss = 0;
  let ms = 0;
  if (s.charCodeAt(j) === 0x3a) {
    ss = d2(s, j + 1);
    if (ss < 0 || ss > 60) return Number.NaN;
    j += 3;
    const dot = s.charCodeAt(j);
    if (dot === 0x2e || dot === 0x2c) {
      j++;
      const f0 = j;
      let scale = 100;
      while (j < n) {
        const c = s.charCodeAt(j) - 0x30;
        if (c < 0 || c > 9) break;
        ms += c * scale;
        scale /= 10;
        j++;
      }
      if (j === f0 || j - f0 > 9) return Number.NaN;
      ms = Math.floor(ms);
    }
  }
  let offsetMin = 0;
  if (j < n) {
    const z = s.charCodeAt(j);
    if ((z === 0x5a || z === 0x7a) && j + 1 === n) {
      offsetMin = 0;
    } else if (z === 0x2b || z === 0x2d) {
      const zh = d2(s, j + 1);
      let zm = 0;
      const rest = n - j - 1;
      if (rest === 2) zm = 0;
      else if (rest === 4) zm = d2(s, j + 3);
      else if (rest === 5 && s.charCodeAt(j + 3) === 0x3a) zm = d2(s, j + 4);
      else return Number.NaN;
      if (zh < 0 || zh > 23 || zm < 0 || zm > 59) return Number.NaN;
      offsetMin = (z === 0x2d ? -1 : 1) * (zh * 60 + zm);
    } else {
      return Number.NaN;
    }
  }
  const days = daysFromCivil(year, mo, day);
  return ((days * 24 + hh) * 60 + mi) * 60000 + ss * 1000 + ms - offsetMin * 60000;
}
