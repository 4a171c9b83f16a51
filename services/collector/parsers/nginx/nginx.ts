// The `nginx` format: access logs written by an nginx `log_format`.
//
// Option `logFormat`: the log_format string, as in nginx.conf (a pasted fragment such as
// `log_format main '$remote_addr - ...' '"$http_user_agent"';` is accepted too: the name, the
// quotes and the `;` are dropped and the pieces joined), or a name: `combined` (the default,
// nginx's built-in) or `main` (combined + `"$http_x_forwarded_for"`, the stock nginx.conf).
//
// What real logs contain, and what this parser does with it:
// - `combined` / `main`: the fast path, parseNginxCombined() (lib/combined-line.ts), which also takes
//   the X-Forwarded-For-prefixed variants (`10.0.0.2, 10.0.0.1, 1.2.3.4 - - [...]`), Apache
//   `common` lines, trailing extra fields (ignored; with `main` the first one is the XFF header),
//   truncated user agents and old-nginx unescaped quotes.
// - Any other log_format is compiled once into literals and variables, like nginx: a variable's
//   value ends where the next literal begins; between double quotes `\"` and `\\` are unescaped
//   and `\xHH` (nginx >= 1.1.6 escaping) kept as written. `-` (and an empty value) means absent.
// - Variables understood: $remote_addr, $remote_user, $time_local, $time_iso8601, $msec,
//   $request, $request_method, $request_uri, $uri / $document_uri + $args / $query_string,
//   $server_protocol, $status, $body_bytes_sent, $bytes_sent (bytesOut when there is no
//   $body_bytes_sent), $request_time (s → durationMs), $upstream_response_time (attrs, and
//   durationMs when there is no $request_time), $http_referer, $http_user_agent,
//   $http_x_forwarded_for / $proxy_add_x_forwarded_for (→ forwardedFor and
//   headers['x-forwarded-for']), any $http_NAME (→ headers['name-with-dashes']), any
//   $cookie_NAME (→ cookies.NAME). Every other variable ($host, $server_name, $request_id,
//   $remote_port, $ssl_protocol...) goes to attrs under its name.
// - A line that does not follow the layout is rejected `format_mismatch`; a line cut off inside
//   the trailing quoted fields (referer, user agent...) keeps what is there. Bad numbers:
//   `bad_status`, `bad_bytes`; no time: `no_timestamp`; an invalid time: ParseBadTimestamp.
//   Blank lines are Skipped `blank`.
//
// create() throws ConfigInvalid listing every problem of the option: an unknown option, an
// unterminated quote, `$` without a name, two variables with nothing between them, no time
// variable, `escape=json` (use the `json` format).

import { parseNginxCombined, sniffCombined } from '../lib/combined-line.js';
import {
  buildLayout,
  compileLogFormatOption,
  F,
  type FieldSpec,
  type Layout,
  layoutParser,
  lineParser,
  recordFromHttpLine,
} from '../lib/web-fields.js';
import type { LogFormat } from '../types.js';

export interface NginxOptions {
  /** An nginx log_format string, or `combined` / `main`. */
  logFormat: string;
}

export const NGINX_COMBINED =
  '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"';
export const NGINX_MAIN = `${NGINX_COMBINED} "$http_x_forwarded_for"`;
const NAMED: Record<string, string> = { combined: NGINX_COMBINED, main: NGINX_MAIN };

const SAMPLE_TIME_LOCAL = '01/Jan/2000:00:00:00 +0000';

/** What an nginx variable means. */
export function nginxVariable(name: string): FieldSpec {
  switch (name) {
    case 'remote_addr':
      return { kind: F.CLIENT_IP, name: '' };
    case 'remote_user':
      return { kind: F.USER, name: '' };
    case 'time_local':
      return { kind: F.TIME_LOCAL, name: '', sample: SAMPLE_TIME_LOCAL };
    case 'time_iso8601':
      return { kind: F.TIME_ISO, name: '', sample: '2000-01-01T00:00:00+00:00' };
    case 'msec':
      return { kind: F.TIME_EPOCH_S, name: '', sample: '946684800.000' };
    case 'request':
      return { kind: F.REQUEST, name: '' };
    case 'request_method':
      return { kind: F.METHOD, name: '' };
    case 'request_uri':
      return { kind: F.TARGET, name: '' };
    case 'uri':
    case 'document_uri':
      return { kind: F.PATH, name: '' };
    case 'args':
    case 'query_string':
      return { kind: F.QUERY, name: '' };
    case 'server_protocol':
      return { kind: F.PROTOCOL, name: '' };
    case 'status':
      return { kind: F.STATUS, name: '' };
    case 'body_bytes_sent':
      return { kind: F.BODY_BYTES, name: '' };
    case 'bytes_sent':
      return { kind: F.TOTAL_BYTES, name: '' };
    case 'request_time':
      return { kind: F.DURATION_S, name: '' };
    case 'upstream_response_time':
      return { kind: F.UPSTREAM_TIME, name };
    case 'http_referer':
      return { kind: F.REFERER, name: '' };
    case 'http_user_agent':
      return { kind: F.USER_AGENT, name: '' };
    case 'http_x_forwarded_for':
    case 'proxy_add_x_forwarded_for':
      return { kind: F.XFF, name: '' };
    default:
      if (name.startsWith('http_') && name.length > 5)
        return { kind: F.HEADER, name: name.slice(5).replaceAll('_', '-') };
      if (name.startsWith('cookie_') && name.length > 7) return { kind: F.COOKIE, name: name.slice(7) };
      return { kind: F.ATTR, name };
  }
}

/** `log_format main '...' '...';` → the joined string; plain strings come back unchanged (but `\"` → `"`). */
function unwrapConfig(input: string, problems: string[]): string {
  let s = input.trim();
  if (s.startsWith('log_format ') || s.startsWith('log_format\t')) {
    s = s.slice(10).trimStart();
    const sp = s.search(/\s/);
    s = sp === -1 ? '' : s.slice(sp).trimStart(); // the format's name
    const esc = /^escape=(\w+)\s*/.exec(s);
    if (esc) {
      if (esc[1] === 'json') problems.push('escape=json writes JSON lines: use the json format');
      s = s.slice(esc[0].length);
    }
  }
  const c0 = s[0];
  if (c0 !== "'" && c0 !== '"') return s.replaceAll('\\"', '"');
  // A sequence of quoted config strings.
  let out = '';
  let i = 0;
  while (i < s.length) {
    const q = s[i];
    if (q === ';' && s.slice(i + 1).trim() === '') break;
    if (q === ' ' || q === '\t' || q === '\n' || q === '\r') {
      i++;
      continue;
    }
    if (q !== "'" && q !== '"') {
      problems.push(`unexpected ${JSON.stringify(s.slice(i, i + 10))} between quoted pieces`);
      break;
    }
    let j = i + 1;
    let closed = false;
    while (j < s.length) {
      const c = s[j];
      if (c === '\\' && j + 1 < s.length) {
        const n = s[j + 1] as string;
        out += n === 't' ? '\t' : n === 'n' ? '\n' : n === 'r' ? '\r' : n;
        j += 2;
        continue;
      }
      if (c === q) {
        closed = true;
        break;
      }
      out += c;
      j++;
    }
    if (!closed) {
      problems.push(`unbalanced ${q === "'" ? 'single' : 'double'} quotes in the configuration string`);
      break;
    }
    i = j + 1;
  }
  return out;
}

/** Compiles a log_format string into a Layout; problems get every reason it cannot be used. */
export function compileNginxFormat(input: string): { layout: Layout; problems: string[] } {
  const problems: string[] = [];
  const fmt = NAMED[input.trim()] ?? unwrapConfig(input, problems);
  let quotes = 0;
  for (const ch of fmt) if (ch === '"') quotes++;
  if (quotes % 2 !== 0) problems.push('unbalanced double quotes');
  let lead = '';
  const parts: Array<{ spec: FieldSpec; label: string; after: string }> = [];
  let lit = '';
  let i = 0;
  const isNameChar = (c: number) =>
    (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;
  while (i < fmt.length) {
    const ch = fmt[i] as string;
    if (ch !== '$') {
      lit += ch;
      i++;
      continue;
    }
    let name = '';
    let j = i + 1;
    if (fmt[j] === '{') {
      const close = fmt.indexOf('}', j);
      if (close === -1) {
        problems.push(`unterminated \${ at column ${i + 1}`);
        break;
      }
      name = fmt.slice(j + 1, close);
      j = close + 1;
      if (name === '' || ![...name].every((c) => isNameChar(c.charCodeAt(0))))
        problems.push(`bad variable name \${${name}} at column ${i + 1}`);
    } else {
      while (j < fmt.length && isNameChar(fmt.charCodeAt(j))) j++;
      name = fmt.slice(i + 1, j);
      if (name === '') problems.push(`$ at column ${i + 1} is not followed by a variable name`);
    }
    if (parts.length === 0) lead = lit;
    else (parts[parts.length - 1] as (typeof parts)[number]).after = lit;
    lit = '';
    // Variable names are case-insensitive in nginx; a cookie keeps the name as configured.
    const lower = name.toLowerCase();
    const spec = lower.startsWith('cookie_')
      ? nginxVariable(`cookie_${name.slice(7)}`)
      : nginxVariable(lower);
    parts.push({ spec, label: `$${name}`, after: '' });
    i = j;
  }
  if (parts.length === 0) lead = lit;
  else (parts[parts.length - 1] as (typeof parts)[number]).after = lit;
  const layout = buildLayout(lead, parts, problems);
  return { layout, problems };
}

const COMBINED_SIGNATURE = compileNginxFormat(NGINX_COMBINED).layout.signature;
const MAIN_SIGNATURE = compileNginxFormat(NGINX_MAIN).layout.signature;

export const nginxFormat: LogFormat<NginxOptions> = {
  id: 'nginx',
  description:
    'nginx access log written by a log_format (option logFormat; default combined, also main or any variables)',
  create(options?: Partial<NginxOptions>) {
    const layout = compileLogFormatOption(options, 'nginx', compileNginxFormat);
    if (layout.signature === COMBINED_SIGNATURE || layout.signature === MAIN_SIGNATURE) {
      const xff = layout.signature === MAIN_SIGNATURE ? 0 : -1;
      return lineParser((text) => {
        const r = parseNginxCombined(text, 'nginx');
        return r.ok ? recordFromHttpLine(r.value, xff) : r.error;
      });
    }
    return layoutParser(layout, 'nginx');
  },
  sniff(lines) {
    return sniffCombined(lines, 'nginx');
  },
};
