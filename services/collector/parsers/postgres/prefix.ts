// log_line_prefix, compiled into a matcher for stderr (and syslog) lines.
//
// PostgreSQL writes the prefix before every line of a message (the DETAIL, HINT, STATEMENT
// lines too), then `SEVERITY:  message`. The prefix is a printf-like string: `%t` timestamp,
// `%m` timestamp with ms, `%n` epoch, `%p` pid, `%u` user, `%d` database, `%r` host(port),
// `%h` host, `%a` application, `%l` line number, `%c` session id, `%s` session start, `%v`
// virtual xid, `%x` xid, `%e` SQLSTATE, `%i` command tag, `%b` backend type, `%P` leader pid,
// `%Q` query id, `%L` local address, `%q` (non-session processes stop here), `%%`. A number
// between `%` and the letter pads the value (`%-10u`).
//
// Matching is a left-to-right walk over the compiled tokens: fixed-shape escapes (times, pids,
// session ids) are read by shape; free-text escapes (user, database, application...) run to
// the first occurrence of the literal text that follows them, at most MAX_FIELD characters
// away. No regular expressions, no backtracking beyond one bounded retry for IPv6 hosts, so a
// line costs O(prefix tokens × MAX_FIELD) whatever it contains.
//
// With `%q`, session lines carry the whole prefix and background processes (checkpointer,
// autovacuum, postmaster) stop at `%q`: the caller tries the full matcher, then the short one.

import { stampLength } from './time.js';

export const MAX_FIELD = 512;

const KNOWN = 'audrhLbpPtmnilcsvxeqQ%';

type Token = { lit: string } | { esc: string; pad: number };

/** What a prefix says about a line; null where the prefix has no such escape or it is empty. */
export interface PrefixFields {
  /** Timestamp text and its escape (`t`, `m`, `n`). */
  ts: string | null;
  tsKind: 't' | 'm' | 'n' | null;
  pid: string | null;
  user: string | null;
  database: string | null;
  /** Remote host (from `%r` without the port, or `%h`); `[local]` as written. */
  host: string | null;
  port: string | null;
  app: string | null;
  sessionId: string | null;
  lineNum: string | null;
  sqlState: string | null;
  commandTag: string | null;
  backendType: string | null;
}

export function emptyFields(): PrefixFields {
  return {
    ts: null,
    tsKind: null,
    pid: null,
    user: null,
    database: null,
    host: null,
    port: null,
    app: null,
    sessionId: null,
    lineNum: null,
    sqlState: null,
    commandTag: null,
    backendType: null,
  };
}

export interface PrefixMatcher {
  /** The log_line_prefix it was compiled from. */
  readonly source: string;
  /** True when the prefix has `%t`, `%m` or `%n`. */
  readonly hasTime: boolean;
  /**
   * Ways to match at line[0], to try in order: each returns the end index of the prefix (fields
   * filled) or -1. Two when the prefix has `%q` (whole, then cut at `%q`); the caller keeps the
   * first one that is followed by a severity.
   */
  readonly variants: ReadonlyArray<(line: string, out: PrefixFields) => number>;
}

/** Compiles a log_line_prefix; returns the problem as a string when it is not a valid one. */
export function compilePrefix(prefix: string): PrefixMatcher | string {
  const tokens: Token[] = [];
  let lit = '';
  for (let i = 0; i < prefix.length; i++) {
    const c = prefix[i] as string;
    if (c !== '%') {
      lit += c;
      continue;
    }
    let j = i + 1;
    let pad = 0;
    if (prefix[j] === '-') j++;
    while (j < prefix.length && (prefix[j] as string) >= '0' && (prefix[j] as string) <= '9') {
      pad = pad * 10 + Number(prefix[j]);
      j++;
    }
    const e = prefix[j];
    if (e === undefined) return `log_line_prefix ends with a lone %: ${JSON.stringify(prefix)}`;
    if (KNOWN.indexOf(e) === -1) return `log_line_prefix has an unknown escape %${e}`;
    i = j;
    if (e === '%') {
      lit += '%';
      continue;
    }
    if (lit !== '') tokens.push({ lit });
    lit = '';
    tokens.push({ esc: e, pad });
  }
  if (lit !== '') tokens.push({ lit });
  const q = tokens.findIndex((t) => 'esc' in t && t.esc === 'q');
  const full = tokens.filter((t) => !('esc' in t && t.esc === 'q'));
  const short = q === -1 ? null : tokens.slice(0, q);
  const hasTime = tokens.some((t) => 'esc' in t && (t.esc === 't' || t.esc === 'm' || t.esc === 'n'));
  const variants = [(line: string, out: PrefixFields) => run(full, line, out)];
  if (short !== null) variants.push((line: string, out: PrefixFields) => run(short, line, out));
  return { source: prefix, hasTime, variants };
}

/** The literal text that follows token k (empty when an escape or the end follows). */
function nextLiteral(tokens: readonly Token[], k: number): string {
  const t = tokens[k + 1];
  return t !== undefined && 'lit' in t ? t.lit : '';
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isHex(c: number): boolean {
  return isDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
}

/** Host characters: names, IPv4, IPv6 (with `%zone`), `[local]`. */
function isHostChar(c: number): boolean {
  return (
    isDigit(c) ||
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x61 && c <= 0x7a) ||
    c === 0x2e ||
    c === 0x3a ||
    c === 0x2d ||
    c === 0x5f ||
    c === 0x25
  );
}

/** End of a free-text value starting at i: the first `next` within MAX_FIELD chars, or -1. */
function freeTextEnd(line: string, i: number, next: string): number {
  const limit = Math.min(line.length, i + MAX_FIELD);
  if (next === '') {
    // Nothing literal follows: the value is one word.
    let j = i;
    while (j < limit && line.charCodeAt(j) !== 0x20) j++;
    return j;
  }
  const c0 = next.charCodeAt(0);
  for (let j = i; j < limit; j++) {
    if (line.charCodeAt(j) === c0 && line.startsWith(next, j)) return j;
  }
  return -1;
}

function nonEmpty(s: string): string | null {
  return s === '' ? null : s;
}

function run(tokens: readonly Token[], line: string, out: PrefixFields): number {
  out.ts = null;
  out.tsKind = null;
  out.pid = null;
  out.user = null;
  out.database = null;
  out.host = null;
  out.port = null;
  out.app = null;
  out.sessionId = null;
  out.lineNum = null;
  out.sqlState = null;
  out.commandTag = null;
  out.backendType = null;
  let i = 0;
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k] as Token;
    if ('lit' in t) {
      if (!line.startsWith(t.lit, i)) return -1;
      i += t.lit.length;
      continue;
    }
    if (t.pad > 0) while (line.charCodeAt(i) === 0x20) i++;
    const start = i;
    const next = nextLiteral(tokens, k);
    switch (t.esc) {
      case 't':
      case 's':
      case 'm': {
        const n = stampLength(line, i, t.esc === 'm' ? 'required' : 'forbidden');
        if (n < 0) return -1;
        i += n;
        if (t.esc !== 's') {
          out.ts = line.slice(start, i);
          out.tsKind = t.esc;
        }
        break;
      }
      case 'n': {
        while (isDigit(line.charCodeAt(i))) i++;
        if (i === start || line.charCodeAt(i) !== 0x2e) return -1;
        i++;
        const f = i;
        while (isDigit(line.charCodeAt(i))) i++;
        if (i === f) return -1;
        out.ts = line.slice(start, i);
        out.tsKind = 'n';
        break;
      }
      case 'p':
      case 'l':
      case 'x':
      case 'P':
      case 'Q': {
        if (line.charCodeAt(i) === 0x2d && t.esc === 'Q') i++;
        while (isDigit(line.charCodeAt(i)) && i - start < 24) i++;
        if (i === start && (t.esc === 'p' || t.esc === 'l')) return -1;
        const v = line.slice(start, i);
        if (t.esc === 'p') out.pid = v;
        else if (t.esc === 'l') out.lineNum = v;
        break;
      }
      case 'c': {
        while (isHex(line.charCodeAt(i)) && i - start < 16) i++;
        if (i === start || line.charCodeAt(i) !== 0x2e) return -1;
        i++;
        const f = i;
        while (isHex(line.charCodeAt(i)) && i - f < 16) i++;
        if (i === f) return -1;
        out.sessionId = line.slice(start, i);
        break;
      }
      case 'v': {
        // `3/42`, or empty for processes without a virtual transaction.
        while (isDigit(line.charCodeAt(i)) && i - start < 12) i++;
        if (i > start) {
          if (line.charCodeAt(i) !== 0x2f) return -1;
          i++;
          const f = i;
          while (isDigit(line.charCodeAt(i)) && i - f < 12) i++;
          if (i === f) return -1;
        }
        break;
      }
      case 'e': {
        for (let n = 0; n < 5; n++) {
          const c = line.charCodeAt(i + n);
          if (!(isDigit(c) || (c >= 0x41 && c <= 0x5a))) return -1;
        }
        i += 5;
        out.sqlState = line.slice(start, i);
        break;
      }
      case 'r':
      case 'h':
      case 'L': {
        const end = hostEnd(line, i, next, t.esc === 'r');
        if (end < 0) return -1;
        i = end;
        if (t.esc === 'L') break;
        const v = line.slice(start, i);
        const paren = t.esc === 'r' && v.charCodeAt(v.length - 1) === 0x29 ? v.lastIndexOf('(') : -1;
        if (paren > 0) {
          out.host = v.slice(0, paren);
          out.port = v.slice(paren + 1, v.length - 1);
        } else {
          out.host = nonEmpty(v);
        }
        break;
      }
      default: {
        // u d a i b: free text up to the next literal.
        const end = freeTextEnd(line, i, next);
        if (end < 0) return -1;
        i = end;
        let v = line.slice(start, i);
        if (t.pad > 0) v = v.trimEnd();
        const val = nonEmpty(v);
        if (t.esc === 'u') out.user = val;
        else if (t.esc === 'd') out.database = val;
        else if (t.esc === 'a') out.app = val;
        else if (t.esc === 'i') out.commandTag = val;
        else if (t.esc === 'b') out.backendType = val;
      }
    }
    if (t.pad > 0 && t.esc !== 'u' && t.esc !== 'd' && t.esc !== 'a' && t.esc !== 'i' && t.esc !== 'b')
      while (line.charCodeAt(i) === 0x20 && !line.startsWith(next, i)) i++;
  }
  return i;
}

/**
 * End of a `%r` (`host(port)`, `[local]`, or empty) or `%h` value at i, or -1. An IPv6 host
 * holds `:`, so when the next literal is `:` the longest host run that is followed by it wins.
 */
function hostEnd(line: string, i: number, next: string, withPort: boolean): number {
  if (line.startsWith('[local]', i)) return i + 7;
  let j = i;
  while (j < line.length && j - i < 260 && isHostChar(line.charCodeAt(j))) j++;
  if (withPort && line.charCodeAt(j) === 0x28) {
    let k = j + 1;
    while (isDigit(line.charCodeAt(k)) && k - j < 7) k++;
    if (k > j + 1 && line.charCodeAt(k) === 0x29) return k + 1;
  }
  if (next === '') return j;
  // Shrink until the next literal follows (also covers an empty value).
  for (let e = j; e >= i; e--) if (line.startsWith(next, e)) return e;
  return -1;
}

/** Severities PostgreSQL prints before `:  `, message-starting and secondary ones. */
export const PRIMARY_SEVERITIES = ['LOG', 'ERROR', 'FATAL', 'PANIC', 'WARNING', 'NOTICE', 'INFO', 'DEBUG'];
export const SECONDARY_SEVERITIES = ['DETAIL', 'HINT', 'QUERY', 'CONTEXT', 'LOCATION', 'STATEMENT'];

export interface SeverityMatch {
  severity: string;
  /** SQLSTATE printed by log_error_verbosity=verbose (`ERROR:  42P01: ...`), else null. */
  sqlState: string | null;
  /** Index where the message text starts. */
  messageStart: number;
}

/** `SEVERITY:  ` at line[i] (DEBUG1..5 print as DEBUG), or null. */
export function matchSeverity(line: string, i: number): SeverityMatch | null {
  let j = i;
  while (j < line.length && j - i < 10) {
    const c = line.charCodeAt(j);
    if (c < 0x41 || c > 0x5a) break;
    j++;
  }
  if (j === i || line.charCodeAt(j) !== 0x3a) return null;
  const sev = line.slice(i, j);
  if (PRIMARY_SEVERITIES.indexOf(sev) === -1 && SECONDARY_SEVERITIES.indexOf(sev) === -1) return null;
  j++;
  // PostgreSQL writes two spaces; a shipper may have squeezed them to one, or the message is empty.
  if (line.charCodeAt(j) === 0x20) j++;
  else if (j < line.length) return null;
  if (line.charCodeAt(j) === 0x20) j++;
  let sqlState: string | null = null;
  if (line.charCodeAt(j + 5) === 0x3a && line.charCodeAt(j + 6) === 0x20) {
    let ok = true;
    for (let n = 0; n < 5 && ok; n++) {
      const c = line.charCodeAt(j + n);
      ok = isDigit(c) || (c >= 0x41 && c <= 0x5a);
    }
    // `00000`-shaped only: a message word like `ERROR:  LOCK: ...` is not a SQLSTATE.
    if (ok && isDigit(line.charCodeAt(j)) && isDigit(line.charCodeAt(j + 1))) {
      sqlState = line.slice(j, j + 5);
      j += 7;
    }
  }
  return { severity: sev, sqlState, messageStart: j };
}

/** Prefixes tried when none is configured (the first that matches a line followed by a severity wins). */
export const COMMON_PREFIXES = [
  '%m [%p] ', // PostgreSQL >= 10 default
  '%m [%p] %q%u@%d ', // Debian / Ubuntu packages
  '%t:%r:%u@%d:[%p]:', // Amazon RDS
  '%t [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h ', // pgBadger's recommendation
  '%t [%p]: user=%u,db=%d,app=%a,client=%h ',
  '%m [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h ',
  '%m [%p]: [%l-1] db=%d,user=%u ', // Cloud SQL, before the agent strips the time
  '[%p]: [%l-1] db=%d,user=%u ', // Cloud SQL textPayload
  'db=%d,user=%u,app=%a,client=%h ', // syslog setups (the time is in the syslog header)
  'user=%u,db=%d,app=%a,client=%h ',
  '%t [%p-%l] %q%u@%d ', // older Debian packages
  '%m [%p] %q[user=%u,db=%d,app=%a] ',
  '%t-%c-', // Azure Database for PostgreSQL
  '%m:%r:%u@%d:[%p]:',
  '< %m >', // older RHEL packages
  '%t [%p] ',
  '%m ',
  '%t ',
  '', // log_line_prefix = ''
] as const;
