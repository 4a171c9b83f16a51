// Time bounds in query strings (`from`, `to`): Grafana sends epoch ms, people type dates. An ISO
// 8601 date or date-time with a zone becomes epoch ms before validation, so every route keeps its
// integer schema and its bounds. A date alone is a whole UTC day: `from` its first millisecond, `to`
// (included everywhere) its last. A date-time without a zone is left as it is and refused by the
// schema: "10:00" on the server's clock or the analyst's is a guess a legal record must not make.

export const TIME_PARAMS: ReadonlySet<string> = new Set(['from', 'to']);

/** What a bad time bound's message adds (errors.ts). */
export const TIME_PARAM_HINT =
  'epoch ms, or an ISO 8601 date or date-time with a zone (2015-05-17, 2015-05-17T10:00:00Z, 2015-05-17T12:00:00+02:00)';

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:\d{2})$/;
const DAY_MS = 86_400_000;

/** `value` as epoch ms when it is an ISO date or zoned date-time; otherwise unchanged. */
export function timeParam(name: string, value: string): string {
  const d = DATE.exec(value);
  if (d !== null) {
    const start = Date.UTC(Number(d[1]), Number(d[2]) - 1, Number(d[3]));
    // Date.UTC rolls 2015-02-31 over to March: only a real calendar day is converted
    if (new Date(start).toISOString().slice(0, 10) !== value) return value;
    return String(name === 'to' ? start + DAY_MS - 1 : start);
  }
  if (DATE_TIME.test(value)) {
    const ms = Date.parse(value);
    if (Number.isFinite(ms) && ms >= 0) return String(ms);
  }
  return value;
}
