#!/usr/bin/env node
// Waits until a Kafka broker answers a Metadata request with at least one broker and a controller.
// No dependencies (runs before `npm ci`), speaks the wire protocol directly: Metadata v4 over TCP.
//
//   KAFKA_BROKER=127.0.0.1:19092 READY_TIMEOUT_MS=90000 node deploy/local/kafka-ready.mjs
//
// Broker address: KAFKA_BROKER, else the first entry of KAFKA_BROKERS, else 127.0.0.1:${LW_KAFKA_PORT:-19092}.
// READY_TIMEOUT_MS (default 60000): 0 means a single attempt (used by up.sh/status.sh as "does Kafka answer?").
// WATCH_PID (optional): give up at once, exit 2, when that process has exited (a broker that died on start).
// Exit 0 and one JSON line on stdout when ready; exit 1 (not ready in time) or 2 (WATCH_PID gone) with the
// last error on stderr.
import net from 'node:net';

const address =
  process.env.KAFKA_BROKER ||
  (process.env.KAFKA_BROKERS ?? '').split(',')[0].trim() ||
  `127.0.0.1:${process.env.LW_KAFKA_PORT || 19092}`;
const sep = address.lastIndexOf(':');
const host = address.slice(0, sep);
const port = Number(address.slice(sep + 1));
const timeoutMs = Number(process.env.READY_TIMEOUT_MS ?? 60000);
const watchPid = process.env.WATCH_PID ? Number(process.env.WATCH_PID) : null;
const ATTEMPT_MS = 2000; // per connection; something that accepts but never answers (not Kafka) ends here

function metadataRequest() {
  const clientId = Buffer.from('leakwatch-ready');
  const req = Buffer.alloc(4 + 2 + 2 + 4 + 2 + clientId.length + 4 + 1);
  let o = 0;
  o = req.writeInt32BE(req.length - 4, o); // size
  o = req.writeInt16BE(3, o); // api_key = Metadata
  o = req.writeInt16BE(4, o); // api_version = 4 (still supported by Kafka 4.x; no flexible encoding)
  o = req.writeInt32BE(1, o); // correlation_id
  o = req.writeInt16BE(clientId.length, o);
  o += clientId.copy(req, o);
  o = req.writeInt32BE(-1, o); // topics = null: all topics
  req.writeInt8(0, o); // allow_auto_topic_creation = false
  return req;
}

// Metadata v4 response: size, correlation_id, throttle_time_ms, brokers[node_id, host, port, rack?],
// cluster_id?, controller_id, topics[...]. Throws (RangeError) on anything that is not that shape.
function parseMetadata(buf) {
  if (buf.readInt32BE(4) !== 1) throw new Error('unexpected correlation id: not a Kafka broker?');
  let p = 12;
  const brokers = buf.readInt32BE(p);
  p += 4;
  if (brokers < 0 || brokers > 10000) throw new Error('malformed Metadata response: not a Kafka broker?');
  for (let i = 0; i < brokers; i++) {
    p += 4; // node_id
    p += 2 + buf.readInt16BE(p); // host
    p += 4; // port
    const rackLen = buf.readInt16BE(p);
    p += 2 + Math.max(rackLen, 0);
  }
  const cl = buf.readInt16BE(p);
  const clusterId = cl > 0 ? buf.toString('utf8', p + 2, p + 2 + cl) : null;
  p += 2 + Math.max(cl, 0);
  const controllerId = buf.readInt32BE(p);
  return { brokers, clusterId, controllerId };
}

function probe() {
  return new Promise((resolve, reject) => {
    let settled = false;
    const done = (err, value) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(value);
    };
    const timer = setTimeout(() => done(new Error(`no Metadata answer within ${ATTEMPT_MS} ms`)), ATTEMPT_MS);
    const sock = net.connect({ host, port });
    let buf = Buffer.alloc(0);
    sock.on('error', (err) => done(err));
    sock.on('close', () => done(new Error('connection closed before a complete Metadata answer')));
    sock.on('connect', () => sock.write(metadataRequest()));
    sock.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length < 4) return;
      const size = buf.readInt32BE(0);
      if (size < 8 || size > 64 * 1024 * 1024) return done(new Error('answer is not a Kafka frame: not a Kafka broker?'));
      if (buf.length < 4 + size) return;
      try {
        const md = parseMetadata(buf);
        if (md.brokers < 1 || md.controllerId < 0) return done(new Error('no broker/controller registered yet'));
        done(null, md);
      } catch (err) {
        done(err instanceof RangeError ? new Error('malformed Metadata answer: not a Kafka broker?') : err);
      }
    });
  });
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

const t0 = Date.now();
for (;;) {
  try {
    const md = await probe();
    console.log(JSON.stringify({ ready: true, broker: `${host}:${port}`, ms: Date.now() - t0, ...md }));
    process.exit(0);
  } catch (err) {
    if (watchPid !== null && !alive(watchPid)) {
      console.error(`not ready: process ${watchPid} has exited (last error: ${err.message})`);
      process.exit(2);
    }
    if (Date.now() - t0 >= timeoutMs) {
      console.error(`not ready after ${Date.now() - t0} ms: ${err.message}`);
      process.exit(1);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
