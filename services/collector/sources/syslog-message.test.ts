import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseSyslog } from './syslog-message.js';

const NOW = Date.UTC(2025, 10, 30, 12, 0, 0); // 2025-11-30

test('RFC 5424 example 1: no structured data, BOM before MSG', () => {
  const m = parseSyslog(
    "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - \uFEFF'su root' failed for lonvick on /dev/pts/8",
  );
  assert.equal(m.format, 'rfc5424');
  assert.equal(m.pri, 34);
  assert.equal(m.facility, 4);
  assert.equal(m.severity, 2);
  assert.equal(m.tsMs, Date.UTC(2003, 9, 11, 22, 14, 15, 3));
  assert.equal(m.hostname, 'mymachine.example.com');
  assert.equal(m.appName, 'su');
  assert.equal(m.procId, null);
  assert.equal(m.msgId, 'ID47');
  assert.equal(m.structuredData, null);
  assert.equal(m.msg, "'su root' failed for lonvick on /dev/pts/8");
});

test('RFC 5424 example 2: microseconds and an offset', () => {
  const m = parseSyslog(
    "<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts.",
  );
  assert.equal(m.tsMs, Date.UTC(2003, 7, 24, 12, 14, 15, 0));
  assert.equal(m.procId, '8710');
  assert.equal(m.msg, "%% It's time to make the do-nuts.");
});

test('RFC 5424 examples 3 and 4: structured data, with and without MSG, escapes inside values', () => {
  const m = parseSyslog(
    '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"] \uFEFFAn application event log entry...',
  );
  assert.equal(m.structuredData, '[exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"]');
  assert.equal(m.msg, 'An application event log entry...');
  const n = parseSyslog(
    '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" x="a \\"]\\" b"][examplePriority@32473 class="high"]',
  );
  assert.equal(
    n.structuredData,
    '[exampleSDID@32473 iut="3" x="a \\"]\\" b"][examplePriority@32473 class="high"]',
  );
  assert.equal(n.msg, '');
});

test('RFC 5424 with every field nil', () => {
  const m = parseSyslog('<14>1 - - - - - - hello');
  assert.equal(m.format, 'rfc5424');
  assert.equal(m.timestamp, null);
  assert.equal(m.hostname, null);
  assert.equal(m.msg, 'hello');
});

test('RFC 3164 example: hostname, tag, message', () => {
  const m = parseSyslog("<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8", {
    nowMs: NOW,
  });
  assert.equal(m.format, 'rfc3164');
  assert.equal(m.tsMs, Date.UTC(2025, 9, 11, 22, 14, 15));
  assert.equal(m.hostname, 'mymachine');
  assert.equal(m.appName, 'su');
  assert.equal(m.msg, "'su root' failed for lonvick on /dev/pts/8");
});

test('nginx access_log syslog: the MSG is exactly the access log line', () => {
  const line = '1.2.3.4 - - [24/Nov/2025:10:23:45 +0000] "GET /patients/12 HTTP/1.1" 200 512 "-" "curl/8.0"';
  const m = parseSyslog(`<190>Nov 24 10:23:45 web1 nginx: ${line}`, { nowMs: NOW });
  assert.equal(m.pri, 190);
  assert.equal(m.facility, 23); // local7
  assert.equal(m.severity, 6); // info
  assert.equal(m.hostname, 'web1');
  assert.equal(m.appName, 'nginx');
  assert.equal(m.tsMs, Date.UTC(2025, 10, 24, 10, 23, 45));
  assert.equal(m.msg, line);
  // nginx `nohostname`, and a custom tag
  const n = parseSyslog(`<190>Nov 24 10:23:45 nginx_web: ${line}`, { nowMs: NOW });
  assert.equal(n.hostname, null);
  assert.equal(n.appName, 'nginx_web');
  assert.equal(n.msg, line);
});

test('RFC 3164 variants: pid, padded day, year, ISO timestamp, no tag, trailing newline', () => {
  const a = parseSyslog('<30>Nov  4 01:02:03 host sshd[4242]: Accepted publickey\n', { nowMs: NOW });
  assert.equal(a.appName, 'sshd');
  assert.equal(a.procId, '4242');
  assert.equal(a.tsMs, Date.UTC(2025, 10, 4, 1, 2, 3));
  assert.equal(a.msg, 'Accepted publickey');
  const b = parseSyslog('<30>Nov 24 2023 10:23:45 host app: x', { nowMs: NOW });
  assert.equal(b.tsMs, Date.UTC(2023, 10, 24, 10, 23, 45));
  const c = parseSyslog('<30>2025-11-24T10:23:45.123+01:00 host postgres[7]: LOG:  statement: SELECT 1');
  assert.equal(c.tsMs, Date.UTC(2025, 10, 24, 9, 23, 45, 123));
  assert.equal(c.appName, 'postgres');
  assert.equal(c.msg, 'LOG:  statement: SELECT 1');
  const d = parseSyslog('<30>Nov 24 10:23:45 host just a message', { nowMs: NOW });
  assert.equal(d.hostname, 'host');
  assert.equal(d.appName, null);
  assert.equal(d.msg, 'just a message');
});

test('a December timestamp read in January belongs to last year', () => {
  const jan = Date.UTC(2026, 0, 2);
  assert.equal(
    parseSyslog('<13>Dec 31 23:59:59 h a: x', { nowMs: jan }).tsMs,
    Date.UTC(2025, 11, 31, 23, 59, 59),
  );
});

test('no header at all: everything is MSG; a bad PRI is not a PRI', () => {
  const m = parseSyslog('plain text line');
  assert.equal(m.pri, null);
  assert.equal(m.msg, 'plain text line');
  assert.equal(parseSyslog('<999>x').msg, '<999>x');
  assert.equal(parseSyslog('<13>nginx: hi').appName, 'nginx');
  assert.equal(parseSyslog('<13>nginx: hi').msg, 'hi');
  // a 5424 version that is not followed by a 5424 header falls back to 3164
  assert.equal(parseSyslog('<13>1 apple').msg, '1 apple');
});
