// Calendar arithmetic every time parser shares: civil date-time + zone offset → epoch ms, by
// arithmetic (no Date.parse, no allocation), with the validation each parser needs.

/** Days since 1970-01-01 for a proleptic Gregorian date (H. Hinnant's days_from_civil). */
export function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

export function isLeapYear(y: number): boolean {
  return y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
}

/** Most days a month can have (February 29), by month 1..12. */
export const DAYS_IN_MONTH: readonly number[] = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The two decimal digits at s[i], s[i+1] as 0..99, or -1 when either is not a digit. */
export function d2(s: string, i: number): number {
  const a = s.charCodeAt(i) - 0x30;
  const b = s.charCodeAt(i + 1) - 0x30;
  if (!(a >= 0 && a <= 9 && b >= 0 && b <= 9)) return -1;
  return a * 10 + b;
}

/** Epoch ms of a civil date-time at `offsetMin` minutes east of UTC; NaN when it is not a valid time. */
export function civilToMs(
  year: number,
  month: number,
  day: number,
  hh: number,
  mm: number,
  ss: number,
  ms: number,
  offsetMin: number,
): number {
  if (month < 1 || month > 12 || day < 1 || hh < 0 || hh > 23 || mm < 0 || mm > 59 || ss < 0 || ss > 60)
    return Number.NaN;
  if (day > (DAYS_IN_MONTH[month] ?? 0) || (month === 2 && day === 29 && !isLeapYear(year)))
    return Number.NaN;
  const days = daysFromCivil(year, month, day);
  return ((days * 24 + hh) * 60 + mm) * 60000 + ss * 1000 + ms - offsetMin * 60000;
}
