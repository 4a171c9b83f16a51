// Hour of the week of an event time: the seasonality key of every baseline. One definition, because
// the baseline job writes rows under it and the detector's stores look them up by it.

const HOUR = 3_600_000;
const WEEK_HOURS = 168;

/** Hour of week, 0..167, Monday 00:00 UTC = 0. */
export function hourOfWeek(ts: number): number {
  const h = Math.floor(ts / HOUR);
  // 1970-01-01 was a Thursday: Monday-based offset of 3 days.
  return (((h + 72) % WEEK_HOURS) + WEEK_HOURS) % WEEK_HOURS;
}
