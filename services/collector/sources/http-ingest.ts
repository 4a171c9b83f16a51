// HTTP ingest for forwarders (Fluent Bit `http` output, Vector `http` sink) as an Input.
// POST /ingest or /v1/ingest, `Authorization: Bearer <token>` (compared in constant time), 127.0.0.1
// by default. Bodies (optionally Content-Encoding: gzip; the size limit applies after decompression):
// - application/x-ndjson (also application/ndjson, application/jsonl, application/x-jsonlines):
//   one JSON value per line;
// - application/json: a JSON array, or NDJSON (Fluent Bit sends its json_lines format as application/json);
// - text/plain: the log lines themselves (Vector `codec: text`).
// A JSON value is a line (string) or an object whose `log` (Fluent Bit) or else `message` (Vector)
// string field is the line; other fields are ignored. A value holding newlines is several lines.
// Blank lines are skipped. Answers: 200 {accepted} once every batch of the request is committed
// (durable in Kafka), 400 bad body, 401 token, 404/405 route, 413 too large, 415 type/encoding,
// 503 + Retry-After when behind. Errors are {error: code, message}.
//
// Back-pressure: a request is held until its batches are committed; at most maxPendingRequests are
// held, more get 503 + Retry-After at once (before the body is read). A request not committed within
// commitTimeoutMs also gets 503: its batches not yet handed to the consumer are withdrawn, so the
// forwarder's retry does not double them; ones already handed out may be delivered twice, which the
// positions make harmless (below). A client that hangs up early has its queued batches withdrawn too.
//
// Positions: the source is `http:<forwarder>` (the token's name, else the peer address). A line's
// position is the first 53 bits of sha256(sha256(request lines) + ':' + index): a forwarder's retry
// of the same batch gets the same positions, hence the same event_ids, and is deduplicated
// downstream; identical lines within or across different requests stay distinct. Two different
// requests whose lines are all identical are indistinguishable from a retry, and are deduplicated.
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGunzip } from 'node:zlib';
import {
  ApiBadRequest,
  ApiNotFound,
  ApiUnauthorized,
  IngestBadBody,
  IngestBusy,
  IngestTooLarge,
  IngestUnsupportedType,
  type LeakwatchError,
} from '#shared/errors.js';
import { listen } from '#shared/listen.js';
import type { InputLine } from '../parsers/types.js';
import type { Input, SourceBatch } from './types.js';

export interface HttpIngestOptions {
  host?: string;
  /** 0 picks a free port. */
  port: number;
  /** Accepted bearer tokens; a named one names its forwarder in the source (`http:<name>`). */
  tokens: Array<string | { name: string; token: string }>;
  /** Lines per SourceBatch; a larger request is split and answered when all its batches are committed. */
  batchSize: number;
  /** Default 5 MiB, after decompression. */
  maxBodyBytes?: number;
  /** Requests held waiting for their commit before new ones get 503. Default 8. */
  maxPendingRequests?: number;
  /** Default 30 000 ms. */
  commitTimeoutMs?: number;
  /** Default 1 s. */
  retryAfterSeconds?: number;
}

export interface HttpIngestInput extends Input {
  address(): AddressInfo;
  stats(): { accepted: number; rejected: number; busy: number };
}

const ROUTES = new Set(['/ingest', '/v1/ingest']);
const NDJSON_TYPES = new Set([
  'application/x-ndjson',
  'application/ndjson',
  'application/jsonl',
  'application/x-jsonlines',
  'application/jsonlines',
  'application/json-lines',
]);

interface Queued {
  batch: SourceBatch;
  handedOut: boolean;
  withdrawn: boolean;
}

export async function createHttpIngestInput(opts: HttpIngestOptions): Promise<HttpIngestInput> {
  const maxBody = opts.maxBodyBytes ?? 5 * 1024 * 1024;
  const maxPending = opts.maxPendingRequests ?? 8;
  const timeoutMs = opts.commitTimeoutMs ?? 30_000;
  const retryAfter = String(opts.retryAfterSeconds ?? 1);
  const digest = (s: string) => createHash('sha256').update(s).digest();
  const known = opts.tokens.map((t) =>
    typeof t === 'string' ? { name: null, digest: digest(t) } : { name: t.name, digest: digest(t.token) },
  );
  const stats = { accepted: 0, rejected: 0, busy: 0 };
  const queue: Queued[] = [];
  let wake: (() => void) | null = null;
  let pendingRequests = 0;

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    if (res.headersSent) return;
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };
  const fail = (res: ServerResponse, err: LeakwatchError, headers: Record<string, string> = {}) => {
    if (err.statusCode === 503) stats.busy++;
    else stats.rejected++;
    send(res, err.statusCode, { error: err.code, message: err.message }, headers);
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    if (!ROUTES.has(path)) {
      const e = ApiNotFound(path);
      return send(res, 404, { error: e.code, message: e.message });
    }
    if (req.method !== 'POST') {
      const e = ApiBadRequest(`${req.method} not allowed; use POST`);
      return send(res, 405, { error: e.code, message: e.message }, { allow: 'POST' });
    }
    const auth = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    const presented = auth ? digest(auth[1]!) : null;
    let who: { name: string | null } | null = null;
    for (const k of known) if (presented && timingSafeEqual(k.digest, presented) && !who) who = k;
    if (!who) return fail(res, ApiUnauthorized(), { 'www-authenticate': 'Bearer' });
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    const kind = NDJSON_TYPES.has(type)
      ? 'ndjson'
      : type === 'application/json'
        ? 'json'
        : type === 'text/plain'
          ? 'text'
          : null;
    if (!kind) return fail(res, IngestUnsupportedType(type || '(none)'));
    const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
    if (encoding !== 'identity' && encoding !== 'gzip')
      return fail(res, IngestUnsupportedType(`encoding ${encoding}`));
    if (pendingRequests >= maxPending)
      return fail(res, IngestBusy(`${pendingRequests} requests awaiting delivery`), {
        'retry-after': retryAfter,
        connection: 'close',
      });
    const declared = Number(req.headers['content-length'] ?? 0);
    if (encoding === 'identity' && declared > maxBody)
      return fail(res, IngestTooLarge(maxBody), { connection: 'close' });

    pendingRequests++;
    try {
      const body = await readBody(req, encoding === 'gzip', maxBody);
      if (typeof body !== 'string')
        return fail(res, body, body.statusCode === 413 ? { connection: 'close' } : {});
      const parsed = parseBody(body, kind);
      if (!Array.isArray(parsed)) return fail(res, parsed);
      if (parsed.length === 0) return send(res, 200, { accepted: 0 });
      const forwarder = who.name ?? (req.socket.remoteAddress ?? 'unknown').replace(/^::ffff:(?=\d+\.)/, '');
      const lines = positioned(parsed);
      const result = await enqueue(`http:${forwarder}`, lines, res);
      if (result === 'committed') {
        stats.accepted += lines.length;
        return send(res, 200, { accepted: lines.length });
      }
      if (result === 'timeout')
        return fail(res, IngestBusy(`not delivered within ${timeoutMs} ms`), { 'retry-after': retryAfter });
    } finally {
      pendingRequests--;
    }
  }

  /** Queues the request's batches; resolves when all are committed, on timeout, or when the client left. */
  function enqueue(
    source: string,
    lines: InputLine[],
    res: ServerResponse,
  ): Promise<'committed' | 'timeout' | 'gone'> {
    return new Promise((resolve) => {
      const mine: Queued[] = [];
      let left = 0;
      const finish = (how: 'committed' | 'timeout' | 'gone') => {
        clearTimeout(timer);
        res.off('close', onClose);
        if (how !== 'committed') for (const q of mine) if (!q.handedOut) q.withdrawn = true;
        resolve(how);
      };
      const onClose = () => finish('gone');
      const timer = setTimeout(() => finish('timeout'), timeoutMs);
      res.on('close', onClose);
      for (let i = 0; i < lines.length; i += opts.batchSize) {
        left++;
        let done = false;
        const q: Queued = {
          handedOut: false,
          withdrawn: false,
          batch: {
            source,
            lines: lines.slice(i, i + opts.batchSize),
            commit: async () => {
              if (done) return;
              done = true;
              if (--left === 0) finish('committed');
            },
          },
        };
        mine.push(q);
        queue.push(q);
      }
      const w = wake;
      wake = null;
      w?.();
    });
  }

  const server: Server = createServer((req, res) => {
    // an unexpected failure: let the forwarder retry rather than lose the batch
    handle(req, res).catch((err: unknown) =>
      fail(res, IngestBusy('internal error', { cause: err }), { 'retry-after': retryAfter }),
    );
  });
  server.requestTimeout = 60_000;
  await listen(server, opts.port, opts.host);

  const stop = new AbortController();
  return {
    address: () => server.address() as AddressInfo,
    stats: () => ({ ...stats }),
    async *batches(outer): AsyncGenerator<SourceBatch> {
      const signal = AbortSignal.any([outer, stop.signal]);
      const onAbort = () => {
        const w = wake;
        wake = null;
        w?.();
      };
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        for (;;) {
          if (signal.aborted) return;
          const q = queue.shift();
          if (!q) {
            await new Promise<void>((resolve) => {
              wake = resolve;
            });
            continue;
          }
          if (q.withdrawn) continue;
          q.handedOut = true;
          yield q.batch;
        }
      } finally {
        signal.removeEventListener('abort', onAbort);
      }
    },
    async close() {
      stop.abort();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections(); // held requests end unanswered: forwarders retry them
      await closed;
    },
  };
}

/** The body as text, or the error to answer with. */
async function readBody(req: IncomingMessage, gzip: boolean, max: number): Promise<string | LeakwatchError> {
  const chunks: Buffer[] = [];
  let size = 0;
  const source: AsyncIterable<Buffer> = gzip ? req.pipe(createGunzip()) : req;
  try {
    for await (const chunk of source) {
      size += chunk.length;
      if (size > max) {
        req.destroy();
        return IngestTooLarge(max);
      }
      chunks.push(chunk);
    }
  } catch (err) {
    return IngestBadBody(gzip ? 'not valid gzip' : 'request aborted', { cause: err });
  }
  const text = Buffer.concat(chunks).toString('utf8');
  return text;
}

/** Physical lines of the body, or the error to answer with. */
export function parseBody(body: string, kind: 'ndjson' | 'json' | 'text'): string[] | LeakwatchError {
  if (kind === 'text') return splitLines(body);
  const values: unknown[] = [];
  if (kind === 'json' && body.trimStart().startsWith('[')) {
    try {
      const arr = JSON.parse(body) as unknown;
      if (!Array.isArray(arr)) return IngestBadBody('expected a JSON array');
      values.push(...arr);
    } catch {
      return IngestBadBody('not a JSON array');
    }
  } else {
    let n = 0;
    for (const raw of body.split('\n')) {
      n++;
      if (raw.trim() === '') continue;
      try {
        values.push(JSON.parse(raw));
      } catch {
        return IngestBadBody(`line ${n} is not JSON`);
      }
    }
  }
  const out: string[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    const line =
      typeof v === 'string'
        ? v
        : v && typeof v === 'object' && !Array.isArray(v)
          ? pick(v as Record<string, unknown>)
          : undefined;
    if (line === undefined)
      return IngestBadBody(
        `record ${i + 1}: expected a string or an object with a string "log" or "message"`,
      );
    out.push(...splitLines(line));
  }
  return out;
}

function pick(o: Record<string, unknown>): string | undefined {
  if (typeof o['log'] === 'string') return o['log'];
  if (typeof o['message'] === 'string') return o['message'];
  return undefined;
}

function splitLines(s: string): string[] {
  return s
    .split('\n')
    .map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l))
    .filter((l) => l.length > 0);
}

/** Retry-stable positions: 53 bits of sha256(request digest + ':' + index). */
export function positioned(lines: string[]): InputLine[] {
  const h = createHash('sha256');
  for (const l of lines) h.update(`${Buffer.byteLength(l)}:${l}\n`);
  const requestDigest = h.digest('hex');
  return lines.map((text, i) => {
    const d = createHash('sha256').update(`${requestDigest}:${i}`).digest();
    return { offset: Number(d.readBigUInt64BE(0) >> 11n), text };
  });
}
