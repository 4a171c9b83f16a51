// Syslog as an Input: UDP and TCP listeners (127.0.0.1 by default) taking RFC 5424 / RFC 3164
// messages; each line's text is the message's MSG (syslog-message.ts), the source `syslog:<peer address>`.
// TCP frames are octet-counted (`123 <34>1 ...`, RFC 6587) or newline-delimited, told apart per frame.
//
// Bounds: maxMessageBytes per message (a longer newline-framed message is cut, a longer
// octet-counted one is skipped; both counted as oversize), maxConnections TCP connections (more are
// refused and counted), maxPendingLines received but not yet taken. Back-pressure: when the pending
// lines reach that mark, every TCP socket is paused (the sender's buffers fill, it blocks or spools)
// until the consumer takes them down to half. UDP cannot push back: datagrams arriving while full are
// dropped and counted in stats().dropped; use TCP where losing lines matters.
//
// Positions: syslog has no acknowledgements and no replay, so commit() records nothing and a line is
// never re-received by design; what a position must be is unique for its source, across restarts,
// without state. Each line gets the next value of a per-input counter seeded from the clock,
// max(previous + 1, now in microseconds): increasing, unique while the clock does not step back, no
// file to keep. A hash of the message is not used: identical lines (same client, URL and second) are
// common in access logs and must stay distinct events.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { listen } from '#shared/listen.js';
import { LineQueue } from './line-queue.js';
import { parseSyslog } from './syslog-message.js';
import type { Input, SourceBatch } from './types.js';

export interface SyslogInputOptions {
  /** UDP listener; port 0 picks a free port. */
  udp?: { host?: string; port: number };
  /** TCP listener; port 0 picks a free port. */
  tcp?: { host?: string; port: number };
  batchSize: number;
  /** Default 64 KiB. */
  maxMessageBytes?: number;
  /** Default 256. */
  maxConnections?: number;
  /** Lines received and not yet taken before TCP pauses and UDP drops. Default 10 000. */
  maxPendingLines?: number;
}

export interface SyslogStats {
  received: number;
  /** UDP messages dropped because the consumer was behind. */
  dropped: number;
  oversize: number;
  connections: number;
  refusedConnections: number;
  /** TCP sockets paused now for back-pressure. */
  paused: number;
}

export interface SyslogInput extends Input {
  udpAddress(): AddressInfo | null;
  tcpAddress(): AddressInfo | null;
  stats(): SyslogStats;
}

/** Binds the configured listeners, then returns the input. */
export async function createSyslogInput(opts: SyslogInputOptions): Promise<SyslogInput> {
  const maxMsg = opts.maxMessageBytes ?? 64 * 1024;
  const stats: SyslogStats = {
    received: 0,
    dropped: 0,
    oversize: 0,
    connections: 0,
    refusedConnections: 0,
    paused: 0,
  };
  const paused = new Set<Socket>();
  const sockets = new Set<Socket>();
  const queue = new LineQueue(opts.maxPendingLines ?? 10_000, () => {
    for (const s of paused) s.resume();
    paused.clear();
    stats.paused = 0;
  });
  let seq = 0;
  const nextPosition = () => {
    seq = Math.max(seq + 1, Date.now() * 1000);
    return seq;
  };

  const deliver = (peer: string, raw: Buffer): void => {
    stats.received++;
    const { msg } = parseSyslog(raw.toString('utf8'));
    const source = `syslog:${peer.replace(/^::ffff:(?=\d+\.)/, '')}`;
    for (const text of msg.split(/\r?\n/)) {
      if (text.length) queue.push(source, { offset: nextPosition(), text });
    }
  };

  let udp: UdpSocket | null = null;
  if (opts.udp) {
    const u = createSocket(opts.udp.host?.includes(':') ? 'udp6' : 'udp4');
    udp = u;
    u.on('message', (msg, rinfo) => {
      if (queue.full) {
        stats.dropped++;
        return;
      }
      if (msg.length > maxMsg) stats.oversize++;
      deliver(rinfo.address, msg.length > maxMsg ? msg.subarray(0, maxMsg) : msg);
    });
    await new Promise<void>((resolve, reject) => {
      u.once('error', reject);
      u.bind(opts.udp!.port, opts.udp!.host ?? '127.0.0.1', () => {
        u.off('error', reject);
        resolve();
      });
    });
    u.on('error', () => {}); // ICMP errors and the like: a receiver has nothing to do about them
  }

  let tcp: Server | null = null;
  if (opts.tcp) {
    const server = createServer((socket) => {
      stats.connections++;
      sockets.add(socket);
      const peer = socket.remoteAddress ?? 'unknown';
      const framer = new Framer(
        maxMsg,
        (m) => deliver(peer, m),
        () => stats.oversize++,
      );
      socket.on('data', (chunk: Buffer) => {
        framer.push(chunk);
        if (queue.full && !paused.has(socket)) {
          socket.pause();
          paused.add(socket);
          stats.paused = paused.size;
        }
      });
      socket.on('end', () => framer.end());
      socket.on('error', () => {});
      socket.on('close', () => {
        sockets.delete(socket);
        paused.delete(socket);
        stats.paused = paused.size;
      });
    });
    server.maxConnections = opts.maxConnections ?? 256;
    server.on('drop', () => stats.refusedConnections++);
    tcp = server;
    await listen(server, opts.tcp.port, opts.tcp.host);
  }

  const stop = new AbortController();
  const commit = async () => {};
  return {
    udpAddress: () => (udp ? (udp.address() as AddressInfo) : null),
    tcpAddress: () => (tcp ? (tcp.address() as AddressInfo) : null),
    stats: () => ({ ...stats }),
    async *batches(outer): AsyncGenerator<SourceBatch> {
      const signal = AbortSignal.any([outer, stop.signal]);
      for (;;) {
        const got = await queue.take(opts.batchSize, signal);
        if (!got) return;
        yield { source: got.source, lines: got.lines, commit };
      }
    },
    async close() {
      stop.abort();
      const closing: Promise<void>[] = [];
      if (udp) closing.push(new Promise((r) => udp!.close(() => r())));
      if (tcp) closing.push(new Promise((r) => tcp!.close(() => r())));
      for (const s of sockets) s.destroy();
      await Promise.all(closing);
    },
  };
}

/**
 * RFC 6587 framing of one TCP stream: a frame starting with digits and a space is octet-counted,
 * anything else runs to the next LF. Holds at most maxMsg bytes (+ the length prefix).
 */
export class Framer {
  private buf: Buffer = Buffer.alloc(0);
  /** Bytes of an oversize octet-counted frame still to skip. */
  private skip = 0;
  /** Inside an oversize newline-framed message whose start was delivered cut: drop up to the LF. */
  private discarding = false;

  constructor(
    private readonly maxMsg: number,
    private readonly onMessage: (m: Buffer) => void,
    private readonly onOversize: () => void,
  ) {}

  push(chunk: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    for (;;) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, this.buf.length);
        this.buf = this.buf.subarray(n);
        this.skip -= n;
        if (this.skip > 0) return;
      }
      if (this.buf.length === 0) return;
      if (!this.discarding && this.buf[0]! >= 0x30 && this.buf[0]! <= 0x39) {
        const head = /^(\d{1,10}) /.exec(this.buf.subarray(0, 11).toString('latin1'));
        if (!head && /^\d{1,10}$/.test(this.buf.subarray(0, 11).toString('latin1'))) return; // prefix incomplete
        if (head) {
          const len = Number(head[1]);
          const start = head[0].length;
          if (len > this.maxMsg) {
            this.onOversize();
            this.buf = this.buf.subarray(start);
            this.skip = len;
            continue;
          }
          if (this.buf.length < start + len) return;
          this.onMessage(this.buf.subarray(start, start + len));
          this.buf = this.buf.subarray(start + len);
          // tolerate a LF after an octet-counted frame (some senders add one)
          if (this.buf[0] === 0x0a) this.buf = this.buf.subarray(1);
          continue;
        }
      }
      const nl = this.buf.indexOf(0x0a);
      if (nl < 0) {
        if (this.discarding) this.buf = Buffer.alloc(0);
        else if (this.buf.length > this.maxMsg) {
          this.onOversize();
          this.onMessage(this.buf.subarray(0, this.maxMsg));
          this.buf = Buffer.alloc(0);
          this.discarding = true;
        } else this.buf = Buffer.from(this.buf); // do not pin the socket's chunk
        return;
      }
      if (this.discarding) this.discarding = false;
      else if (nl > this.maxMsg) {
        this.onOversize();
        this.onMessage(this.buf.subarray(0, this.maxMsg));
      } else if (nl > 0) this.onMessage(this.buf.subarray(0, nl));
      this.buf = this.buf.subarray(nl + 1);
    }
  }

  /** The peer closed: a last newline-framed message without its LF still counts. */
  end(): void {
    const partialOctetFrame = /^\d{1,10}( |$)/.test(this.buf.subarray(0, 11).toString('latin1'));
    if (this.buf.length && !this.discarding && this.skip === 0 && !partialOctetFrame)
      this.onMessage(this.buf);
    this.buf = Buffer.alloc(0);
  }
}
