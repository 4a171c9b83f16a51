// Parses one syslog message header (RFC 5424, RFC 3164 and the variants real senders emit) so the
// collector can keep only MSG: the part a log file would contain. nginx `access_log syslog:server=...`
// sends `<190>Nov 24 10:23:45 web1 nginx: 1.2.3.4 - - [...] ...` (RFC 3164 with a tag).
//
// Never throws: a message without a recognisable header is all MSG. RFC 3164 is ambiguous where a
// sender leaves the hostname out: the first word after the timestamp is the tag when it looks like
// one (`name:` or `name[pid]:`), else it is the hostname. BSD timestamps carry no year and no zone:
// the year is the current one (the previous one when that would put the date more than a month in
// the future) and the zone is UTC.

export interface SyslogMessage {
  format: 'rfc5424' | 'rfc3164';
  /** PRI value (facility * 8 + severity), null when the message had none. */
  pri: number | null;
  facility: number | null;
  severity: number | null;
  /** The timestamp as written, null when absent. */
  timestamp: string | null;
  /** Epoch ms, null when absent or unreadable. */
  tsMs: number | null;
  hostname: string | null;
  /** RFC 5424 APP-NAME, RFC 3164 TAG. */
  appName: string | null;
  procId: string | null;
  msgId: string | null;
  /** RFC 5424 STRUCTURED-DATA as written (`[id k="v"]...`), null for `-` or RFC 3164. */
  structuredData: string | null;
  msg: string;
}

const PRI = /^<(\d{1,3})>/;
const V5424 = /^([1-9]\d{0,2}) /;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
// `Nov 24 10:23:45`, `Nov  4 10:23:45`, `Nov 24 2025 10:23:45`, `Nov 24 10:23:45.123` (+ optional zone)
const BSD_TS =
  /^([A-Z][a-z]{2}) {1,2}(\d{1,2}) (?:(\d{4}) )?(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(?: (?:UTC|GMT|Z))?(?= |$)/;
const ISO_TS = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})?(?= |$)/;
const TAG = /^([^\s:[\]]{1,64})(?:\[([^\]\s]{0,32})\])?:$/;

export function parseSyslog(raw: string, opts: { nowMs?: number } = {}): SyslogMessage {
  const text = raw.replace(/[\r\n\0]+$/, '');
  const m = PRI.exec(text);
  let pri: number | null = m ? Number(m[1]) : null;
  if (pri !== null && pri > 191) pri = null;
  const rest = m && pri !== null ? text.slice(m[0].length) : text;
  const base = {
    pri,
    facility: pri === null ? null : pri >> 3,
    severity: pri === null ? null : pri & 7,
  };
  if (pri !== null && V5424.test(rest)) {
    const r = parse5424(rest);
    if (r) return { format: 'rfc5424', ...base, ...r };
  }
  return { format: 'rfc3164', ...base, ...parse3164(rest, opts.nowMs ?? Date.now()) };
}

type Body = Omit<SyslogMessage, 'format' | 'pri' | 'facility' | 'severity'>;

function parse5424(s: string): Body | null {
  // VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID SP STRUCTURED-DATA [SP MSG]
  const head = /^[1-9]\d{0,2} (\S+) (\S+) (\S+) (\S+) (\S+) /.exec(s);
  if (!head) return null;
  const [, ts, host, app, proc, msgId] = head as unknown as string[];
  let i = head[0].length;
  let sd: string | null = null;
  if (s[i] === '-') i++;
  else if (s[i] === '[') {
    const start = i;
    while (s[i] === '[') {
      i++;
      let inQuote = false;
      for (; i < s.length; i++) {
        const c = s[i];
        if (inQuote && c === '\\') i++;
        else if (c === '"') inQuote = !inQuote;
        else if (c === ']' && !inQuote) break;
      }
      if (i >= s.length) return null; // unterminated: not RFC 5424 after all
      i++;
    }
    sd = s.slice(start, i);
  } else return null;
  if (i < s.length && s[i] !== ' ') return null;
  let msg = s.slice(i + 1);
  if (msg.startsWith('\uFEFF')) msg = msg.slice(1);
  const nil = (v: string | undefined) => (v === undefined || v === '-' ? null : v);
  const timestamp = nil(ts);
  const parsed = timestamp === null ? Number.NaN : Date.parse(timestamp);
  return {
    timestamp,
    tsMs: Number.isNaN(parsed) ? null : parsed,
    hostname: nil(host),
    appName: nil(app),
    procId: nil(proc),
    msgId: nil(msgId),
    structuredData: sd,
    msg,
  };
}

function parse3164(s: string, nowMs: number): Body {
  const body: Body = {
    timestamp: null,
    tsMs: null,
    hostname: null,
    appName: null,
    procId: null,
    msgId: null,
    structuredData: null,
    msg: s,
  };
  let rest = s;
  const bsd = BSD_TS.exec(rest);
  const iso = bsd ? null : ISO_TS.exec(rest);
  if (bsd) {
    body.timestamp = bsd[0];
    body.tsMs = bsdTime(bsd, nowMs);
  } else if (iso) {
    body.timestamp = iso[0];
    const t = Date.parse(iso[0].replace(' ', 'T'));
    body.tsMs = Number.isNaN(t) ? null : t;
  }
  if (body.timestamp !== null) rest = rest.slice(body.timestamp.length).replace(/^ /, '');
  const word = () => /^(\S+)(?: |$)/.exec(rest);
  let w = word();
  const tag = (m: RegExpExecArray | null): boolean => {
    const t = m && TAG.exec(m[1]!);
    if (!m || !t) return false;
    body.appName = t[1]!;
    body.procId = t[2] || null;
    rest = rest.slice(m[0].length);
    return true;
  };
  if (!tag(w) && body.timestamp !== null && w) {
    body.hostname = w[1]!;
    rest = rest.slice(w[0].length);
    w = word();
    tag(w);
  }
  body.msg = rest;
  return body;
}

function bsdTime(m: RegExpExecArray, nowMs: number): number | null {
  const month = MONTHS.indexOf(m[1]!);
  if (month < 0) return null;
  const frac = m[7] ? Number(m[7].padEnd(3, '0').slice(0, 3)) : 0;
  const at = (year: number) =>
    Date.UTC(year, month, Number(m[2]), Number(m[4]), Number(m[5]), Number(m[6]), frac);
  if (m[3]) return at(Number(m[3]));
  const year = new Date(nowMs).getUTCFullYear();
  const t = at(year);
  return t > nowMs + 31 * 86_400_000 ? at(year - 1) : t;
}
