// The `apache` format: access logs written by an Apache httpd LogFormat (mod_log_config).
//
// Option `logFormat`: a LogFormat string (`%h %l %u %t \"%r\" %>s %b`, escaped quotes as in
// httpd.conf are fine, and so is a pasted `LogFormat "..." nickname` line), or a name: `combined`
// (the default), `common`, `vhost_combined` (`%v:%p %h %l %u %t "%r" %>s %O "%{Referer}i"
// "%{User-Agent}i"`).
//
// What real logs contain, and what this parser does with it:
// - `combined` / `common`: the fast path, parseNginxCombined() (lib/combined-line.ts), the same
//   parser as nginx's combined: IPv6 or host names for %h, `-` for %b, `\"` inside quoted
//   fields, common lines under combined, DreamHost's trailing blank, truncated user agents.
// - Any other LogFormat is compiled once into literals and directives; a value ends where the
//   next literal begins, quoted values are unescaped (`\"`, `\\`; `\xhh` kept as written).
//   `-` means absent.
// - Directives: %h (clientIp unless %a is there), %a, %l (attrs.ident), %u, %t,
//   %{strftime}t (with %z; `begin:`/`end:` prefixes; sec, msec, usec, msec_frac, usec_frac),
//   %r, %m, %U + %q (target), %H (attrs.protocol), %>s (status), %s / %<s (status unless %>s is
//   there, else attrs.original_status when different), %b / %B (bytesOut), %O (bytesOut when no
//   %b/%B), %I (attrs.bytes_received), %D (µs → durationMs), %T / %{s|ms|us}T, %{NAME}i (request
//   header → headers[lowercase]; Referer, User-Agent and X-Forwarded-For go to their fields,
//   X-Forwarded-For also to headers), %{NAME}C (cookies), %v / %V (attrs.server_name), %p
//   (attrs.port), %X (attrs.conn_status), %P, %k, %L, %R, %f, %S, %A, %e, %n, %o (attrs), `%%`.
//   Status-code conditions (`%400,501{User-agent}i`, `%!200r`) are accepted; such fields log `-`.
// - Rejects as nginx.ts: `format_mismatch`, `bad_status`, `bad_bytes`, `no_timestamp`,
//   ParseBadTimestamp; blank lines are Skipped `blank`.
//
// create() throws ConfigInvalid listing every problem: an unknown option, an unknown directive,
// a `%` at the end, an unterminated `%{`, unbalanced double quotes, two directives with nothing
// between them, no time directive, a %{...}t without a zone.

import { parseNginxCombined, sniffCombined } from '../lib/combined-line.js';
import {
  buildLayout,
  compileLogFormatOption,
  F,
  type FieldSpec,
  isBlank,
  type Layout,
  layoutParser,
  lineParser,
  matchLayout,
  parseUint,
  RecordDraft,
  recordFromHttpLine,
} from '../lib/web-fields.js';
import { compileStrftime } from '../lib/web-time.js';
import type { LogFormat } from '../types.js';

export interface ApacheOptions {
  /** An Apache LogFormat string, or `combined` / `common` / `vhost_combined`. */
  logFormat: string;
}

export const APACHE_COMMON = '%h %l %u %t "%r" %>s %b';
export const APACHE_COMBINED = `${APACHE_COMMON} "%{Referer}i" "%{User-Agent}i"`;
export const APACHE_VHOST_COMBINED = '%v:%p %h %l %u %t "%r" %>s %O "%{Referer}i" "%{User-Agent}i"';
const NAMED: Record<string, string> = {
  common: APACHE_COMMON,
  combined: APACHE_COMBINED,
  vhost_combined: APACHE_VHOST_COMBINED,
};

/** What a directive means; null when Apache has no such directive. */
function apacheDirective(
  letter: string,
  arg: string | null,
  final: boolean,
  label: string,
  problems: string[],
): FieldSpec | null {
  switch (letter) {
    case 'a':
      return arg === 'c' ? { kind: F.ATTR, name: 'peer_ip' } : { kind: F.CLIENT_IP, name: '' };
    case 'h':
      return arg === 'c' ? { kind: F.ATTR, name: 'peer_host' } : { kind: F.CLIENT_HOST, name: '' };
    case 'A':
      return { kind: F.ATTR, name: 'local_ip' };
    case 'b':
    case 'B':
      return { kind: F.BODY_BYTES, name: '' };
    case 'O':
      return { kind: F.TOTAL_BYTES, name: '' };
    case 'I':
      return { kind: F.ATTR, name: 'bytes_received' };
    case 'S':
      return { kind: F.ATTR, name: 'bytes_transferred' };
    case 'C':
      if (arg === null || arg === '') {
        problems.push(`${label}: %C needs a cookie name (%{NAME}C)`);
        return { kind: F.IGNORE, name: '' };
      }
      return { kind: F.COOKIE, name: arg };
    case 'D':
      return { kind: F.DURATION_US, name: '' };
    case 'T':
      if (arg === 'ms') return { kind: F.DURATION_MS, name: '' };
      if (arg === 'us') return { kind: F.DURATION_US, name: '' };
      if (arg === null || arg === 's') return { kind: F.DURATION_S, name: '' };
      problems.push(`${label}: %T takes s, ms or us`);
      return { kind: F.IGNORE, name: '' };
    case 'e':
      return { kind: F.ATTR, name: `env.${arg ?? ''}` };
    case 'n':
      return { kind: F.ATTR, name: `note.${arg ?? ''}` };
    case 'o':
      return { kind: F.ATTR, name: `response.${(arg ?? '').toLowerCase()}` };
    case 'f':
      return { kind: F.ATTR, name: 'filename' };
    case 'H':
      return { kind: F.PROTOCOL, name: '' };
    case 'i': {
      const name = (arg ?? '').toLowerCase();
      if (name === '') {
        problems.push(`${label}: %i needs a header name (%{NAME}i)`);
        return { kind: F.IGNORE, name: '' };
      }
      if (name === 'referer' || name === 'referrer') return { kind: F.REFERER, name: '' };
      if (name === 'user-agent') return { kind: F.USER_AGENT, name: '' };
      if (name === 'x-forwarded-for') return { kind: F.XFF, name: '' };
      return { kind: F.HEADER, name };
    }
    case 'k':
      return { kind: F.ATTR, name: 'keepalive' };
    case 'l':
      return { kind: F.ATTR, name: 'ident' };
    case 'L':
      return { kind: F.ATTR, name: 'log_id' };
    case 'm':
      return { kind: F.METHOD, name: '' };
    case 'p':
      return { kind: F.ATTR, name: arg === null || arg === 'canonical' ? 'port' : `port_${arg}` };
    case 'P':
      return { kind: F.ATTR, name: arg === null || arg === 'pid' ? 'pid' : arg };
    case 'q':
      return { kind: F.QUERY, name: '' };
    case 'r':
      return { kind: F.REQUEST, name: '' };
    case 'R':
      return { kind: F.ATTR, name: 'handler' };
    case 's':
      return final ? { kind: F.STATUS, name: '' } : { kind: F.STATUS_ORIGINAL, name: '' };
    case 't':
      return apacheTime(arg, label, problems);
    case 'u':
      return { kind: F.USER, name: '' };
    case 'U':
      return { kind: F.PATH, name: '' };
    case 'v':
    case 'V':
      return { kind: F.ATTR, name: 'server_name' };
    case 'X':
      return { kind: F.ATTR, name: 'conn_status' };
    default:
      return null;
  }
}

function apacheTime(arg: string | null, label: string, problems: string[]): FieldSpec {
  if (arg === null) return { kind: F.TIME_BRACKETED, name: '', sample: '[01/Jan/2000:00:00:00 +0000]' };
  let a = arg;
  if (a.startsWith('begin:')) a = a.slice(6);
  else if (a.startsWith('end:')) a = a.slice(4);
  switch (a) {
    case 'sec':
    case 'msec':
    case 'usec':
      return { kind: F.TIME_EPOCH_S, name: '' };
    case 'msec_frac':
      return { kind: F.TIME_FRAC_MS, name: '' };
    case 'usec_frac':
      return { kind: F.TIME_FRAC_US, name: '' };
    default: {
      const time = compileStrftime(a, label, problems);
      return { kind: F.TIME_STRFTIME, name: '', time, sample: time.sample };
    }
  }
}

/** `LogFormat "..." nick` → the string; httpd.conf escapes (`\"`, `\\`, `\t`, `\n`) are undone. */
function unwrapConfig(input: string): string {
  let s = input.trim();
  if (/^logformat\s/i.test(s)) {
    s = s.slice(9).trimStart();
    if (s.startsWith('"')) {
      // up to the closing unescaped quote
      let j = 1;
      while (j < s.length && s[j] !== '"') j += s[j] === '\\' ? 2 : 1;
      s = s.slice(1, j);
    }
  }
  if (s.indexOf('\\') === -1) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (c === '\\' && i + 1 < s.length) {
      const n = s[++i] as string;
      out += n === 't' ? '\t' : n === 'n' ? '\n' : n;
    } else out += c;
  }
  return out;
}

/** Compiles a LogFormat string into a Layout; problems get every reason it cannot be used. */
export function compileApacheFormat(input: string): { layout: Layout; problems: string[] } {
  const problems: string[] = [];
  const fmt = NAMED[input.trim()] ?? unwrapConfig(input);
  let quotes = 0;
  for (const ch of fmt) if (ch === '"') quotes++;
  if (quotes % 2 !== 0) problems.push('unbalanced double quotes');
  let lead = '';
  const parts: Array<{ spec: FieldSpec; label: string; after: string }> = [];
  let lit = '';
  let i = 0;
  while (i < fmt.length) {
    const ch = fmt[i] as string;
    if (ch !== '%') {
      lit += ch;
      i++;
      continue;
    }
    const start = i;
    let j = i + 1;
    if (fmt[j] === '%') {
      lit += '%';
      i = j + 1;
      continue;
    }
    // modifiers: ! and status codes, then < or >
    if (fmt[j] === '!') j++;
    while (j < fmt.length && /[0-9,]/.test(fmt[j] as string)) j++;
    let final = false;
    if (fmt[j] === '<' || fmt[j] === '>') {
      final = fmt[j] === '>';
      j++;
    }
    let arg: string | null = null;
    if (fmt[j] === '{') {
      const close = fmt.indexOf('}', j);
      if (close === -1) {
        problems.push(`unterminated %{ at column ${start + 1}`);
        break;
      }
      arg = fmt.slice(j + 1, close);
      j = close + 1;
    }
    let letter = fmt[j];
    if (letter === undefined) {
      problems.push(`a lone % at column ${start + 1}`);
      break;
    }
    if (letter === '^' && (fmt.startsWith('ti', j + 1) || fmt.startsWith('to', j + 1))) {
      letter = fmt.slice(j, j + 3);
      j += 2;
    }
    const label = fmt.slice(start, j + 1);
    let spec: FieldSpec | null;
    if (letter === '^ti' || letter === '^to')
      spec = { kind: F.ATTR, name: `${letter === '^ti' ? 'trailer_in' : 'trailer_out'}.${arg ?? ''}` };
    else spec = apacheDirective(letter, arg, final, label, problems);
    if (spec === null) {
      problems.push(`unknown directive ${label} at column ${start + 1}`);
      spec = { kind: F.IGNORE, name: '' };
    }
    if (parts.length === 0) lead = lit;
    else (parts[parts.length - 1] as (typeof parts)[number]).after = lit;
    lit = '';
    parts.push({ spec, label, after: '' });
    i = j + 1;
  }
  if (parts.length === 0) lead = lit;
  else (parts[parts.length - 1] as (typeof parts)[number]).after = lit;
  // `%U%q` (the usual idiom, %q is empty or starts with `?`) is the target as sent.
  for (let k = 0; k + 1 < parts.length; k++) {
    const a = parts[k] as (typeof parts)[number];
    const b = parts[k + 1] as (typeof parts)[number];
    if (a.spec.kind === F.PATH && a.after === '' && b.spec.kind === F.QUERY) {
      parts.splice(k, 2, {
        spec: { kind: F.TARGET, name: '' },
        label: `${a.label}${b.label}`,
        after: b.after,
      });
    }
  }
  const layout = buildLayout(lead, parts, problems);
  return { layout, problems };
}

const FAST_SIGNATURES = new Set([
  compileApacheFormat(APACHE_COMBINED).layout.signature,
  compileApacheFormat(APACHE_COMMON).layout.signature,
]);
const VHOST_LAYOUT = compileApacheFormat(APACHE_VHOST_COMBINED).layout;

export const apacheFormat: LogFormat<ApacheOptions> = {
  id: 'apache',
  description:
    'Apache httpd access log written by a LogFormat (option logFormat; default combined, also common, vhost_combined or any directives)',
  create(options?: Partial<ApacheOptions>) {
    const layout = compileLogFormatOption(options, 'apache', compileApacheFormat);
    if (FAST_SIGNATURES.has(layout.signature)) {
      return lineParser((text) => {
        const r = parseNginxCombined(text, 'apache');
        return r.ok ? recordFromHttpLine(r.value) : r.error;
      });
    }
    return layoutParser(layout, 'apache');
  },
  sniff(lines) {
    // vhost_combined lines (`host:port ip - - [...]`) are Apache's own: 0.95. Otherwise as nginx's
    // sniff, at 0.85 (nginx takes combined at 0.9, apache takes common).
    const base = sniffCombined(lines, 'apache');
    if (base === 0) return 0;
    const draft = new RecordDraft();
    let n = 0;
    let vhost = 0;
    for (const line of lines) {
      if (isBlank(line)) continue;
      n++;
      if (matchLayout(VHOST_LAYOUT, draft, line, 'apache') !== null) continue;
      const port = draft.attrs?.['port'];
      if (port !== undefined && parseUint(port, 5) >= 0) vhost++;
    }
    return n > 0 && vhost === n ? 0.95 : base;
  },
};
