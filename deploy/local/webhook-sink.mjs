#!/usr/bin/env node
// A tiny webhook receiver for the demo: verifies each page's signature (X-Leakwatch-Signature over
// `timestamp.body`, HMAC-SHA256 with WEBHOOK_SECRET) and prints one line per page, once per
// Idempotency-Key (a page re-sent after a notifier restart is shown as a repeat, not twice).
//   WEBHOOK_SECRET=... node deploy/local/webhook-sink.mjs [port]   (default 9190)
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';

const port = Number(process.argv[2] ?? 9190);
const secret = process.env.WEBHOOK_SECRET ?? '';
const seen = new Set();
createServer((req, res) => {
  let body = '';
  req.on('data', (d) => (body += d));
  req.on('end', () => {
    const ts = String(req.headers['x-leakwatch-timestamp'] ?? '');
    const sig = Buffer.from(String(req.headers['x-leakwatch-signature'] ?? ''));
    const want = Buffer.from(`v1=${createHmac('sha256', secret).update(`${ts}.${body}`).digest('hex')}`);
    const fresh = Math.abs(Date.now() / 1000 - Number(ts)) < 300;
    if (!secret || sig.length !== want.length || !timingSafeEqual(sig, want) || !fresh) {
      console.log(`refused: bad or stale signature`);
      res.writeHead(401).end();
      return;
    }
    const key = String(req.headers['idempotency-key'] ?? '');
    const p = JSON.parse(body);
    const repeat = seen.has(key) ? ' (repeat, ignored)' : '';
    seen.add(key);
    console.log(`${new Date().toISOString()} ${p.action.toUpperCase()}${p.n ? ` #${p.n}` : ''} [${p.severity}] ${p.title} | ${p.alert_count} alert(s), key ${p.dedup_key}${repeat}`);
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
}).listen(port, '127.0.0.1', () => console.log(`webhook sink listening on http://127.0.0.1:${port}/`));
