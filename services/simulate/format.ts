// The access-log format `leakwatch simulate` writes: nginx `combined` plus three quoted fields
// (X-Forwarded-For, the PHPSESSID cookie, the X-Break-Glass header), `-` for absent values.
// `leakwatch scan --format nginx --log-format "$SIM_LOG_FORMAT"` reads it back.

export const SIM_LOG_FORMAT =
  '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" ' +
  '"$http_user_agent" "$http_x_forwarded_for" "$cookie_PHPSESSID" "$http_x_break_glass"';

/** One log line before rendering. Nullable fields are written `-`. */
export interface SimLine {
  /** Event time, epoch ms (rendered to the second, as nginx $time_local does). */
  ts: number;
  ip: string;
  user: string | null;
  /** The request line, `GET /path?q HTTP/1.1` (background lines keep what was logged). */
  request: string;
  status: number;
  bytes: number;
  referer: string | null;
  ua: string | null;
  xff: string | null;
  /** PHPSESSID cookie value. */
  session: string | null;
  /** X-Break-Glass header value (`1` for emergency access). */
  breakGlass: string | null;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

/** `03/Nov/2025:14:05:09 +0000` (UTC, whole seconds). */
export function formatTimeLocal(ms: number): string {
  const d = new Date(ms);
  return (
    `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`
  );
}

/** A quoted field's content: `"` and `\` escaped as nginx/Apache do, control characters as \xHH. */
function escapeField(v: string): string {
  return v.replace(/[\\"\x00-\x1f\x7f]/g, (c) =>
    c === '"' || c === '\\' ? `\\${c}` : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
}

function q(v: string | null): string {
  return v === null || v === '' ? '-' : escapeField(v);
}

/** The line in SIM_LOG_FORMAT, without a newline. */
export function renderLine(l: SimLine): string {
  const user = l.user === null || l.user === '' ? '-' : l.user.replace(/\s/g, '_');
  return (
    `${l.ip} - ${user} [${formatTimeLocal(l.ts)}] "${escapeField(l.request)}" ` +
    `${l.status > 0 ? l.status : '-'} ${l.bytes} "${q(l.referer)}" "${q(l.ua)}" "${q(l.xff)}" "${q(l.session)}" "${q(l.breakGlass)}"`
  );
}

/** Build a request line. */
export function req(method: string, target: string, protocol = 'HTTP/1.1'): string {
  return `${method} ${target} ${protocol}`;
}

/** A line with the defaults most generated lines share. */
export function line(
  p: Partial<SimLine> & Pick<SimLine, 'ts' | 'ip' | 'request' | 'status' | 'bytes'>,
): SimLine {
  return {
    user: null,
    referer: null,
    ua: null,
    xff: null,
    session: null,
    breakGlass: null,
    ...p,
  };
}
