// CSV as PostgreSQL writes it: csvlog records, and the pgAudit `AUDIT:` payload inside a message.
//
// csvlog quotes every text field (`"..."`, a `"` doubled inside) and leaves numbers, timestamps
// and empty values bare. A quoted field keeps newlines as written, so one record spans as many
// physical lines as its statement has: the reader below is fed line by line and says when the
// record is complete. pgAudit quotes a field only when it holds `,`, `"`, CR or LF.
//
// A small state machine (no regular expressions): the cost is linear in the record length.

const QUOTE = 0x22;
const COMMA = 0x2c;

/** Field names of csvlog, in order (PG 13: 23 fields; PG 14+ adds backend_type, leader_pid, query_id). */
export const CSVLOG_FIELDS = [
  'log_time',
  'user_name',
  'database_name',
  'process_id',
  'connection_from',
  'session_id',
  'session_line_num',
  'command_tag',
  'session_start_time',
  'virtual_transaction_id',
  'transaction_id',
  'error_severity',
  'sql_state_code',
  'message',
  'detail',
  'hint',
  'internal_query',
  'internal_query_pos',
  'context',
  'query',
  'query_pos',
  'location',
  'application_name',
  'backend_type',
  'leader_pid',
  'query_id',
] as const;

/** csvlog before PG 9.0 had no application_name: 22 fields is the least a record can have. */
export const CSVLOG_MIN_FIELDS = 22;

/** Incremental csvlog record reader: push physical lines until it returns the fields. */
export class CsvRecordReader {
  private fields: string[] = [];
  private cur = '';
  private inQuotes = false;
  /** Characters held so far (for the caller's size cap). */
  size = 0;

  /** True while a record is open (a quoted field continues on the next line). */
  get open(): boolean {
    return this.inQuotes;
  }

  reset(): void {
    this.fields = [];
    this.cur = '';
    this.inQuotes = false;
    this.size = 0;
  }

  /** Feeds one physical line; returns the record's fields when it ends on this line, else null. */
  push(line: string): string[] | null {
    if (this.inQuotes) this.cur += '\n';
    this.size += line.length + 1;
    const n = line.length;
    let i = 0;
    for (;;) {
      if (this.inQuotes) {
        const q = line.indexOf('"', i);
        if (q === -1) {
          this.cur += line.slice(i);
          return null;
        }
        this.cur += line.slice(i, q);
        if (line.charCodeAt(q + 1) === QUOTE) {
          this.cur += '"';
          i = q + 2;
        } else {
          this.inQuotes = false;
          i = q + 1;
        }
        continue;
      }
      let j = i;
      let c = 0;
      while (j < n) {
        c = line.charCodeAt(j);
        if (c === COMMA || c === QUOTE) break;
        j++;
      }
      this.cur += line.slice(i, j);
      if (j >= n) {
        this.fields.push(this.cur);
        const out = this.fields;
        this.fields = [];
        this.cur = '';
        this.size = 0;
        return out;
      }
      if (c === COMMA) {
        this.fields.push(this.cur);
        this.cur = '';
      } else {
        this.inQuotes = true;
      }
      i = j + 1;
    }
  }
}

/**
 * Splits one CSV string (newlines inside quotes allowed) into fields. An unterminated quote
 * runs to the end of the string. Never throws.
 */
export function splitCsv(s: string): string[] {
  const out: string[] = [];
  const n = s.length;
  let cur = '';
  let i = 0;
  let inQuotes = false;
  for (;;) {
    if (inQuotes) {
      const q = s.indexOf('"', i);
      if (q === -1) {
        cur += s.slice(i);
        out.push(cur);
        return out;
      }
      cur += s.slice(i, q);
      if (s.charCodeAt(q + 1) === QUOTE) {
        cur += '"';
        i = q + 2;
      } else {
        inQuotes = false;
        i = q + 1;
      }
      continue;
    }
    let j = i;
    let c = 0;
    while (j < n) {
      c = s.charCodeAt(j);
      if (c === COMMA || c === QUOTE) break;
      j++;
    }
    cur += s.slice(i, j);
    if (j >= n) {
      out.push(cur);
      return out;
    }
    if (c === COMMA) {
      out.push(cur);
      cur = '';
    } else {
      inQuotes = true;
    }
    i = j + 1;
  }
}
