// SQL statement summary shared by every database format (MySQL slow/general/audit, MariaDB
// audit, PostgreSQL). Not a SQL parser: one pass of a tokenizer over the text, then one walk over
// the tokens. Linear in the statement length whatever it contains (no regular expression runs
// on the statement), never throws.
//
// The template is what leaves the collector, so it must not carry a literal: every string
// ('...', "..." unless it is an identifier, E'...', N'...', X'...', _utf8'...', $$...$$,
// $tag$...$tag$, ‘smart quotes’), number, hex/bit literal becomes `?`; IN (...) and VALUES
// (...), (...) lists made only of literals become `IN (?+)` / `VALUES (?+)`; comments are
// removed (they can hold anything); whitespace runs become one space. An unterminated string
// or comment runs to the end of the text (its content never reaches the template). Backslash
// is taken as an escape inside quotes (MySQL): when the server did not mean it (PostgreSQL
// standard strings) the literal only swallows more of the text, it never leaks.
//
// `"..."` is an identifier (ANSI / PostgreSQL) when it follows FROM / JOIN / INTO / UPDATE /
// TABLE or touches a `.`, otherwise a string (MySQL's default): a quoted column name elsewhere
// becomes `?`, which loses a name but never leaks a value.
//
// MySQL executable comments `/*!40101 SET NAMES utf8 */` are read as the SQL they hold.
// Placeholders (`?`, `$1`, `:name`) and variables (`@v`, `@@version`) are kept as written.

export interface SqlSummary {
  /** First keyword, upper-cased (`SELECT`, `INSERT`, `SET`, `CONNECT`...); for `WITH`, the main statement's verb. */
  operation: string | null;
  /** Tables after FROM / JOIN / INTO / UPDATE / TABLE: unquoted, lower-cased, `db.table` kept, deduplicated, sorted, at most 16. */
  tables: string[];
  /** The statement with every literal replaced by `?`, comments removed, whitespace collapsed, at most 1024 characters. */
  template: string;
  /** The literal compared by `=` to a column named `id` / `*_id` / `*Id`, when it is a simple token. */
  resourceId: string | null;
  /** Raw literal values (quotes removed, escapes resolved), at most 1024 of them, for redaction scanning. */
  literals: string[];
}

export const MAX_TEMPLATE_CHARS = 1024;
export const MAX_TABLES = 16;
export const MAX_LITERALS = 1024;

enum K {
  Word = 0, // bare word: keyword or identifier
  QIdent = 1, // quoted identifier (backticks, or "..." in identifier position)
  Lit = 2, // literal
  Param = 3, // ? $1 :name
  Var = 4, // @v @@v
  Op = 5, // any other single character
}

interface Tok {
  k: K;
  /** Text for the template (literals: unused). */
  out: string;
  /** Words: upper-cased; quoted identifiers: the name; literals: the raw value; ops: the char. */
  v: string;
  /** Whitespace or a comment before it. */
  sp: boolean;
}

function isWordChar(c: number): boolean {
  return (
    (c >= 0x61 && c <= 0x7a) ||
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x30 && c <= 0x39) ||
    c === 0x5f ||
    c === 0x24 ||
    (c >= 0x80 && !isSmartQuote(c))
  );
}

function isWordStart(c: number): boolean {
  return (
    (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f || (c >= 0x80 && !isSmartQuote(c))
  );
}

function isSmartQuote(c: number): boolean {
  return c === 0x2018 || c === 0x2019 || c === 0x201c || c === 0x201d;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0b || c === 0x0c || c === 0xa0;
}

/** Keywords after which a "..." is an identifier. */
const TABLE_KEYWORDS = new Set(['FROM', 'JOIN', 'INTO', 'UPDATE', 'TABLE']);

/**
 * Scans a quoted run starting at `i` (the opening quote) with `close` as closing char(s):
 * doubled closing quote and backslash escapes. Returns [value, index after the closing quote];
 * an unterminated run ends at the end of `s`.
 */
function scanQuoted(s: string, i: number, close1: number, close2: number): [string, number, boolean] {
  const n = s.length;
  let j = i + 1;
  let start = j;
  let value = '';
  while (j < n) {
    const c = s.charCodeAt(j);
    if (c === 0x5c && close1 !== 0x60) {
      // backslash escape (not inside backticks)
      value += s.slice(start, j);
      const e = s.charCodeAt(j + 1);
      if (j + 1 >= n) {
        j++;
        start = j;
        break;
      }
      value += e === 0x6e ? '\n' : e === 0x74 ? '\t' : e === 0x72 ? '\r' : e === 0x30 ? '\0' : s[j + 1];
      j += 2;
      start = j;
      continue;
    }
    if (c === close1 || c === close2) {
      if (s.charCodeAt(j + 1) === c && !isSmartQuote(c)) {
        // doubled quote
        value += s.slice(start, j + 1);
        j += 2;
        start = j;
        continue;
      }
      value += s.slice(start, j);
      return [value, j + 1, true];
    }
    j++;
  }
  value += s.slice(start, n);
  return [value, n, false];
}

/** `E'`, `N'`, `X'`, `B'` (any case), or a charset introducer `_utf8mb4'` / `_latin1"`. */
function isLiteralPrefix(s: string, from: number, to: number, quote: number): boolean {
  const len = to - from;
  const c = s.charCodeAt(from) | 0x20;
  if (len === 1 && quote === 0x27) return c === 0x65 || c === 0x6e || c === 0x78 || c === 0x62;
  return s.charCodeAt(from) === 0x5f && len >= 2 && len <= 16;
}

function tokenize(s: string): Tok[] {
  const toks: Tok[] = [];
  const n = s.length;
  let i = 0;
  let sp = false;
  let execComments = 0; // open `/*!` comments whose `*/` must be skipped
  const push = (k: K, out: string, v: string) => {
    toks.push({ k, out, v, sp });
    sp = false;
  };
  const prevSignificant = (): Tok | undefined => toks[toks.length - 1];
  while (i < n) {
    const c = s.charCodeAt(i);
    if (isSpace(c)) {
      sp = true;
      i++;
      continue;
    }
    // comments
    if ((c === 0x2d && s.charCodeAt(i + 1) === 0x2d) || c === 0x23) {
      const nl = s.indexOf('\n', i);
      i = nl === -1 ? n : nl + 1;
      sp = true;
      continue;
    }
    if (c === 0x2f && s.charCodeAt(i + 1) === 0x2a) {
      const bang =
        s.charCodeAt(i + 2) === 0x21 || (s.charCodeAt(i + 2) === 0x4d && s.charCodeAt(i + 3) === 0x21);
      if (bang) {
        // executable comment: read its content as SQL
        i += s.charCodeAt(i + 2) === 0x21 ? 3 : 4;
        let d = 0;
        while (d < 6 && isDigit(s.charCodeAt(i))) {
          i++;
          d++;
        }
        execComments++;
        sp = true;
        continue;
      }
      const e = s.indexOf('*/', i + 2);
      i = e === -1 ? n : e + 2;
      sp = true;
      continue;
    }
    if (c === 0x2a && s.charCodeAt(i + 1) === 0x2f && execComments > 0) {
      execComments--;
      i += 2;
      sp = true;
      continue;
    }
    // strings
    if (c === 0x27 || c === 0x2018 || c === 0x2019) {
      const [v, e] = c === 0x27 ? scanQuoted(s, i, 0x27, 0x27) : scanQuoted(s, i, 0x2018, 0x2019);
      push(K.Lit, '?', v);
      i = e;
      continue;
    }
    if (c === 0x201c || c === 0x201d) {
      const [v, e] = scanQuoted(s, i, 0x201c, 0x201d);
      push(K.Lit, '?', v);
      i = e;
      continue;
    }
    if (c === 0x22) {
      const [v, e, closed] = scanQuoted(s, i, 0x22, 0x22);
      const prev = prevSignificant();
      const ident =
        closed &&
        ((prev !== undefined && prev.k === K.Word && TABLE_KEYWORDS.has(prev.v)) ||
          (prev !== undefined && prev.k === K.Op && prev.v === '.' && !prev.sp && !sp) ||
          s.charCodeAt(e) === 0x2e);
      if (ident) push(K.QIdent, s.slice(i, e), v);
      else push(K.Lit, '?', v);
      i = e;
      continue;
    }
    if (c === 0x60) {
      const [v, e, closed] = scanQuoted(s, i, 0x60, 0x60);
      if (!closed)
        push(K.Lit, '?', v); // unterminated: hide it
      else push(K.QIdent, s.slice(i, e), v);
      i = e;
      continue;
    }
    // dollar quotes and $1 parameters
    if (c === 0x24) {
      if (isDigit(s.charCodeAt(i + 1))) {
        let j = i + 1;
        while (j < n && isDigit(s.charCodeAt(j))) j++;
        push(K.Param, s.slice(i, j), s.slice(i, j));
        i = j;
        continue;
      }
      let j = i + 1;
      if (j < n && isWordStart(s.charCodeAt(j)) && s.charCodeAt(j) < 0x80) {
        while (j < n && j - i < 64) {
          const d = s.charCodeAt(j);
          if (!((d >= 0x61 && d <= 0x7a) || (d >= 0x41 && d <= 0x5a) || isDigit(d) || d === 0x5f)) break;
          j++;
        }
      }
      if (s.charCodeAt(j) === 0x24) {
        const tag = s.slice(i, j + 1);
        const close = s.indexOf(tag, j + 1);
        const end = close === -1 ? n : close;
        push(K.Lit, '?', s.slice(j + 1, end));
        i = close === -1 ? n : close + tag.length;
        continue;
      }
      push(K.Op, '$', '$');
      i++;
      continue;
    }
    // numbers (and identifiers that start with digits, which MySQL allows)
    if (isDigit(c) || (c === 0x2e && isDigit(s.charCodeAt(i + 1)))) {
      let j = i;
      if (c === 0x30 && (s.charCodeAt(i + 1) | 0x20) === 0x78) {
        j = i + 2;
        while (j < n && isWordChar(s.charCodeAt(j))) j++;
      } else {
        while (j < n && isDigit(s.charCodeAt(j))) j++;
        if (s.charCodeAt(j) === 0x2e) {
          j++;
          while (j < n && isDigit(s.charCodeAt(j))) j++;
        }
        if ((s.charCodeAt(j) | 0x20) === 0x65) {
          let k = j + 1;
          const sg = s.charCodeAt(k);
          if (sg === 0x2b || sg === 0x2d) k++;
          if (isDigit(s.charCodeAt(k))) {
            j = k;
            while (j < n && isDigit(s.charCodeAt(j))) j++;
          }
        }
        if (j < n && isWordChar(s.charCodeAt(j)) && s.charCodeAt(i) !== 0x2e) {
          // `1abc`: an identifier
          while (j < n && isWordChar(s.charCodeAt(j))) j++;
          const w = s.slice(i, j);
          push(K.Word, w, w.toUpperCase());
          i = j;
          continue;
        }
      }
      push(K.Lit, '?', s.slice(i, j));
      i = j;
      continue;
    }
    if (isWordStart(c)) {
      let j = i + 1;
      while (j < n && isWordChar(s.charCodeAt(j))) j++;
      const q = s.charCodeAt(j);
      if ((q === 0x27 || q === 0x22) && isLiteralPrefix(s, i, j, q)) {
        // prefixed string: E'..', N'..', X'..', B'..', _utf8mb4'..'
        const [v, e] = scanQuoted(s, j, q, q);
        push(K.Lit, '?', v);
        i = e;
        continue;
      }
      const w = s.slice(i, j);
      push(K.Word, w, w.toUpperCase());
      i = j;
      continue;
    }
    if (c === 0x40) {
      let j = i + 1;
      if (s.charCodeAt(j) === 0x40) j++;
      while (j < n && (isWordChar(s.charCodeAt(j)) || s.charCodeAt(j) === 0x2e)) j++;
      if (j > i + 1) {
        push(K.Var, s.slice(i, j), s.slice(i, j));
        i = j;
        continue;
      }
    }
    if (c === 0x3f) {
      push(K.Param, '?', '?');
      i++;
      continue;
    }
    if (c === 0x3a && isWordStart(s.charCodeAt(i + 1)) && s.charCodeAt(i - 1) !== 0x3a) {
      let j = i + 1;
      while (j < n && isWordChar(s.charCodeAt(j))) j++;
      push(K.Param, s.slice(i, j), s.slice(i, j));
      i = j;
      continue;
    }
    // any other character (surrogate pairs are >= 0x80 and handled as word chars)
    const ch = s[i] as string;
    push(K.Op, ch, ch);
    i++;
  }
  return toks;
}

/** Words that are never table names. */
const NOT_TABLE = new Set([
  'SELECT',
  'WHERE',
  'SET',
  'VALUES',
  'VALUE',
  'ON',
  'USING',
  'AS',
  'LEFT',
  'RIGHT',
  'INNER',
  'OUTER',
  'CROSS',
  'NATURAL',
  'JOIN',
  'GROUP',
  'ORDER',
  'LIMIT',
  'HAVING',
  'UNION',
  'DUAL',
  'OUTFILE',
  'DUMPFILE',
  'WITH',
  'FOR',
  'LOCK',
  'WINDOW',
  'STRAIGHT_JOIN',
  'PARTITION',
  'INTO',
  'FROM',
  'DEFAULT',
  'NULL',
  'EXISTS',
  'NOT',
  'IF',
  'AND',
  'OR',
  'SELECT',
  'TABLE',
  'LATERAL',
  'ONLY',
  'LOW_PRIORITY',
  'HIGH_PRIORITY',
  'DELAYED',
  'IGNORE',
  'QUICK',
  'RETURNING',
  'OFFSET',
  'FETCH',
  'USE',
  'FORCE',
  'INDEX',
]);

/** Modifiers skipped between the keyword and the table name. */
const TABLE_MODIFIERS = new Set([
  'LOW_PRIORITY',
  'HIGH_PRIORITY',
  'DELAYED',
  'IGNORE',
  'QUICK',
  'ONLY',
  'IF',
  'NOT',
  'EXISTS',
  'LATERAL',
]);

/** Function names whose parentheses hold a `FROM` that is not a table clause. */
const FROM_FUNCTIONS = new Set(['EXTRACT', 'TRIM', 'SUBSTRING', 'SUBSTR', 'POSITION', 'OVERLAY']);

/** `ON DUPLICATE KEY UPDATE`, `ON UPDATE CASCADE`, `FOR UPDATE`: no table follows. */
const NOT_BEFORE_UPDATE = new Set(['KEY', 'ON', 'FOR']);

const MAIN_VERBS = new Set(['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'REPLACE', 'MERGE']);

const LIST_WORDS = new Set(['NULL', 'DEFAULT', 'TRUE', 'FALSE']);

function isIdentTok(t: Tok | undefined): boolean {
  return t !== undefined && (t.k === K.QIdent || (t.k === K.Word && !NOT_TABLE.has(t.v)));
}

function identName(t: Tok): string {
  return t.k === K.QIdent ? t.v : t.out;
}

/** `id`, `ID`, `Id`, `*_id`, `*_ID`, `*Id`, `*ID` after a lower-case letter. */
function isIdColumn(name: string): boolean {
  const n = name.length;
  if (n < 2) return false;
  const a = name.charCodeAt(n - 2);
  const b = name.charCodeAt(n - 1);
  const lowerId = (a === 0x69 || a === 0x49) && (b === 0x64 || b === 0x44);
  if (!lowerId) return false;
  if (n === 2) return true;
  const p = name.charCodeAt(n - 3);
  if (p === 0x5f) return true; // _id / _ID
  if (a === 0x49 && b === 0x64) return true; // patientId
  if (a === 0x49 && b === 0x44 && p >= 0x61 && p <= 0x7a) return true; // patientID
  return false;
}

function isSimpleToken(v: string): boolean {
  if (v.length === 0 || v.length > 64) return false;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    const ok =
      (c >= 0x30 && c <= 0x39) ||
      (c >= 0x41 && c <= 0x5a) ||
      (c >= 0x61 && c <= 0x7a) ||
      c === 0x5f ||
      c === 0x2d ||
      c === 0x2e ||
      c === 0x3a;
    if (!ok) return false;
  }
  return true;
}

/** Index just after a list element (literal, placeholder, NULL..., signed literal) at j, or -1. */
function listElement(toks: Tok[], j: number): number {
  let t = toks[j];
  if (t === undefined) return -1;
  if (t.k === K.Op && (t.v === '-' || t.v === '+')) {
    j++;
    t = toks[j];
    if (t === undefined || t.k !== K.Lit) return -1;
  }
  if (t.k === K.Lit || t.k === K.Param || (t.k === K.Word && LIST_WORDS.has(t.v))) return j + 1;
  return -1;
}

/** `( e, e, ... )` at j made only of list elements: index after `)`, or -1. */
function literalGroup(toks: Tok[], j: number): number {
  const open = toks[j];
  if (open === undefined || open.k !== K.Op || open.v !== '(') return -1;
  j++;
  let count = 0;
  for (;;) {
    const e = listElement(toks, j);
    if (e === -1) return -1;
    count++;
    j = e;
    const t = toks[j];
    if (t === undefined || t.k !== K.Op) return -1;
    if (t.v === ')') return count > 0 ? j + 1 : -1;
    if (t.v !== ',') return -1;
    j++;
  }
}

export function summarizeSql(sql: string): SqlSummary {
  const toks = tokenize(typeof sql === 'string' ? sql : '');
  const n = toks.length;
  const literals: string[] = [];
  const tables = new Set<string>();
  let resourceId: string | null = null;

  // ---- operation ----
  let operation: string | null = null;
  let first = 0;
  while (first < n && toks[first]?.k === K.Op && toks[first]?.v === '(') first++;
  const ft = toks[first];
  if (ft !== undefined && ft.k === K.Word && ft.v.length <= 32 && isWordStart(ft.v.charCodeAt(0))) {
    operation = ft.v;
    if (operation === 'WITH') {
      let depth = 0;
      for (let j = first + 1; j < n; j++) {
        const t = toks[j] as Tok;
        if (t.k === K.Op) {
          if (t.v === '(') depth++;
          else if (t.v === ')') depth--;
          else if (t.v === ';') break;
        } else if (depth === 0 && t.k === K.Word && MAIN_VERBS.has(t.v)) {
          operation = t.v;
          break;
        }
      }
    }
  }

  // ---- template, tables, resource id ----
  const parts: string[] = [];
  let outLen = 0;
  const emit = (sp: boolean, text: string) => {
    if (outLen > MAX_TEMPLATE_CHARS) return;
    if (sp && outLen > 0) {
      parts.push(' ');
      outLen++;
    }
    parts.push(text);
    outLen += text.length;
  };
  const addLiteral = (v: string) => {
    if (literals.length < MAX_LITERALS) literals.push(v);
  };
  const addLiteralsIn = (from: number, to: number) => {
    for (let j = from; j < to; j++) if ((toks[j] as Tok).k === K.Lit) addLiteral((toks[j] as Tok).v);
  };
  /** Reads `name(.name)*` at j: [name, index after] or null. */
  const readName = (j: number): [string, number] | null => {
    const t = toks[j];
    if (!isIdentTok(t)) return null;
    let name = identName(t as Tok);
    j++;
    for (;;) {
      const dot = toks[j];
      const nx = toks[j + 1];
      if (dot !== undefined && dot.k === K.Op && dot.v === '.' && nx !== undefined) {
        if (nx.k === K.QIdent || nx.k === K.Word) {
          name += `.${identName(nx)}`;
          j += 2;
          continue;
        }
        if (nx.k === K.Op && nx.v === '*') return null; // t.* is a column list
      }
      break;
    }
    return [name.toLowerCase(), j];
  };
  const addTable = (name: string) => {
    if (tables.size < 4096) tables.add(name);
  };

  const parens: string[] = [];
  let prevWord = '';
  for (let i = 0; i < n; i++) {
    const t = toks[i] as Tok;
    if (t.k === K.Op) {
      if (t.v === '(') parens.push(prevWord);
      else if (t.v === ')') parens.pop();
      prevWord = '';
      emit(t.sp, t.out);
      continue;
    }
    if (t.k === K.Lit) {
      addLiteral(t.v);
      emit(t.sp, '?');
      prevWord = '';
      continue;
    }
    if (t.k === K.Word) {
      const w = t.v;
      // IN (literals) → IN (?+)
      if (w === 'IN') {
        const end = literalGroup(toks, i + 1);
        if (end !== -1) {
          addLiteralsIn(i + 1, end);
          emit(t.sp, `${t.out} (?+)`);
          i = end - 1;
          prevWord = '';
          continue;
        }
      }
      // VALUES (literals), (literals) → VALUES (?+)
      if (w === 'VALUES' || w === 'VALUE') {
        let j = i + 1;
        let end = literalGroup(toks, j);
        let groups = 0;
        while (end !== -1) {
          groups++;
          j = end;
          const c = toks[j];
          if (c === undefined || c.k !== K.Op || c.v !== ',') break;
          const nx = literalGroup(toks, j + 1);
          if (nx === -1) break;
          end = nx;
        }
        if (groups > 0) {
          addLiteralsIn(i + 1, j);
          emit(t.sp, `${t.out} (?+)`);
          i = j - 1;
          prevWord = '';
          continue;
        }
      }
      if (TABLE_KEYWORDS.has(w) && !(w === 'UPDATE' && NOT_BEFORE_UPDATE.has(prevWord))) {
        const inFn =
          w === 'FROM' && (FROM_FUNCTIONS.has(parens[parens.length - 1] ?? '') || prevWord === 'DISTINCT');
        if (!inFn) {
          let j = i + 1;
          while (toks[j]?.k === K.Word && TABLE_MODIFIERS.has((toks[j] as Tok).v)) j++;
          const list = w === 'FROM' || w === 'UPDATE';
          for (let guard = 0; guard < 64; guard++) {
            const r = readName(j);
            if (r === null) break;
            addTable(r[0]);
            j = r[1];
            if (!list) break;
            // optional alias
            if (toks[j]?.k === K.Word && toks[j]?.v === 'AS') j++;
            if (isIdentTok(toks[j])) j++;
            const c = toks[j];
            if (c === undefined || c.k !== K.Op || c.v !== ',') break;
            j++;
          }
        }
      }
    }
    // identifier = literal: the resource id
    if (resourceId === null && (t.k === K.Word || t.k === K.QIdent) && isIdColumn(identName(t))) {
      const eq = toks[i + 1];
      const lit = toks[i + 2];
      if (
        eq !== undefined &&
        eq.k === K.Op &&
        eq.v === '=' &&
        lit !== undefined &&
        lit.k === K.Lit &&
        isSimpleToken(lit.v)
      ) {
        resourceId = lit.v;
      }
    }
    prevWord = t.k === K.Word ? t.v : '';
    emit(t.sp, t.out);
  }

  let template = parts.join('');
  if (template.length > MAX_TEMPLATE_CHARS) template = template.slice(0, MAX_TEMPLATE_CHARS);
  const sorted = [...tables].sort();
  return {
    operation,
    tables: sorted.length > MAX_TABLES ? sorted.slice(0, MAX_TABLES) : sorted,
    template,
    resourceId,
    literals,
  };
}
