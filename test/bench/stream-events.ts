// AccessEvents for the streaming benches, already Avro-encoded (single-object encoding, what the
// collector writes), so the producing side costs little next to what is measured:
// - `typicalEvent`: the "typical" shop mix of engine-memory.bench (3 in 4 entities anonymous IPs
//   browsing pages, one in four of them an order-received page; 1 in 4 logged-in sessions reading a
//   few of their appointments);
// - `StampedPool`: encoded messages re-stamped in place at send time with the wall clock as `ts` and
//   a fresh `event_id` (both written at byte offsets found once), for paced streams where `ts` must
//   be the produce time;
// - `orderWalk`: a user reading orders id after id (sequential enumeration).
import { accessEventWith } from '#shared/avro/access-event-defaults.js';
import { accessEventCodec } from '#shared/avro/codec.js';
import type { AccessEvent } from '#shared/avro/generated/access-event.js';
import { principalKey } from '#shared/principal.js';

export interface Encoded {
  key: Buffer;
  value: Buffer;
}

type Page = { route: string; id?: number; kind?: string; bytes?: number };

const IP_PAGES: readonly Page[] = [
  { route: '/' },
  { route: '/wp-content/themes/storefront/style.css', bytes: 0 },
  { route: '/shop/' },
  { route: '/wp-includes/js/jquery/jquery.min.js', bytes: 0 },
  { route: '/product-category/supplements/' },
  { route: '/shop/page/{id}/', id: 2 },
  { route: '/product/omega-3-fish-oil/' },
  { route: '/?p={id}', id: 40, kind: 'post' },
  { route: '/product/compression-socks/' },
  { route: '/cart/' },
];
const SESSION_PAGES: readonly Page[] = [
  { route: '/portal/' },
  { route: '/wp-json/telehealth/v1/patients/me' },
  { route: '/wp-json/telehealth/v1/appointments', kind: 'appointment' },
  { route: '/wp-json/telehealth/v1/appointments/{id}', id: 7001, kind: 'appointment' },
  { route: '/' },
  { route: '/wp-json/telehealth/v1/appointments/{id}', id: 7002, kind: 'appointment' },
  { route: '/wp-content/themes/storefront/style.css', bytes: 0 },
  { route: '/wp-json/telehealth/v1/appointments/{id}', id: 7001, kind: 'appointment' },
  { route: '/portal/messages/' },
  { route: '/wp-json/telehealth/v1/appointments/{id}', id: 7003, kind: 'appointment' },
];

/** A 32-hex-digit event id (the collector's length), `tag` then `n` in hex. */
export function eventId(tag: number, n: number): string {
  return tag.toString(16).padStart(8, '0') + n.toString(16).padStart(24, '0');
}

/** Entity `i`'s `k`-th request (pages cycle every 10). */
export function typicalEvent(i: number, k: number, ts: number, id: string): AccessEvent {
  const session = i % 4 === 3;
  let p = (session ? SESSION_PAGES : IP_PAGES)[k % 10] as Page;
  if (!session && k % 10 === 9 && i % 16 < 4)
    p = { route: '/checkout/order-received/{id}/', id: 30_000 + i, kind: 'order' };
  const rid = p.id === undefined ? null : String(p.id + (session ? (i % 97) * 10 : i % 13));
  return accessEventWith({
    event_id: id,
    ts,
    source: 'bench',
    tenant: 'shop',
    client_ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
    session_hash: session ? `tok_session_${(i * 2654435761).toString(16).padStart(16, '0')}` : null,
    authenticated: session,
    user_agent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36',
    route: p.route,
    resource_id: rid,
    resource_kind: p.kind ?? null,
    status: 200,
    bytes_out: p.bytes ?? 14_000,
  });
}

/** `user` reading order `id` (a walk is these with consecutive ids). */
export function orderRead(user: string, id: number, ts: number, eid: string): AccessEvent {
  return accessEventWith({
    event_id: eid,
    ts,
    source: 'bench',
    tenant: 'shop',
    user_id: user,
    authenticated: true,
    client_ip: '192.0.2.10',
    user_agent: 'python-requests/2.32',
    route: '/wp-json/wc/v3/orders/{id}',
    resource_kind: 'order',
    resource_id: String(id),
    status: 200,
    bytes_out: 900,
  });
}

export function encode(e: AccessEvent): Encoded {
  return { key: Buffer.from(principalKey(e)), value: accessEventCodec().encode(e) };
}

/** Avro long: zig-zag, then base-128 varint (least significant group first). */
function writeLong(buf: Buffer, at: number, v: number, len: number): void {
  let z = v >= 0 ? v * 2 : -v * 2 - 1;
  for (let i = 0; i < len; i++) {
    const last = i === len - 1;
    if (last !== z < 128) throw new RangeError(`ts ${v} does not fit the ${len} bytes of the template`);
    buf[at + i] = last ? z : (z % 128) | 0x80;
    z = Math.floor(z / 128);
  }
}

function longLength(v: number): number {
  let z = v >= 0 ? v * 2 : -v * 2 - 1;
  let n = 1;
  while (z >= 128) {
    z = Math.floor(z / 128);
    n++;
  }
  return n;
}

/**
 * Encoded events re-stamped at send time. Every template must have a 32-character event_id and a
 * `ts` of the same encoded length as the wall clock (true from 2005 to 2039); `stamp` returns a copy
 * with `ts` and the low 24 hex digits of event_id replaced.
 */
export class StampedPool {
  readonly size: number;
  readonly #keys: Buffer[] = [];
  readonly #values: Buffer[] = [];
  readonly #idAt: number[] = [];
  readonly #tsAt: number[] = [];
  readonly #tsLen: number;

  constructor(events: readonly AccessEvent[]) {
    const codec = accessEventCodec();
    this.size = events.length;
    const now = Date.now();
    this.#tsLen = longLength(now);
    for (const e of events) {
      if (e.event_id.length !== 32) throw new RangeError('StampedPool: event_id must be 32 characters');
      const a = codec.encode({ ...e, ts: now });
      const b = codec.encode({ ...e, ts: now + 1 });
      let tsAt = 0;
      while (tsAt < a.length && a[tsAt] === b[tsAt]) tsAt++;
      const idAt = a.indexOf(Buffer.from(e.event_id, 'latin1'));
      if (idAt < 0 || tsAt >= a.length)
        throw new Error('StampedPool: event_id or ts not found in the encoding');
      this.#keys.push(Buffer.from(principalKey(e)));
      this.#values.push(a);
      this.#idAt.push(idAt);
      this.#tsAt.push(tsAt);
    }
  }

  stamp(j: number, ts: number, seq: number): Encoded {
    const value = Buffer.from(this.#values[j] as Buffer);
    writeLong(value, this.#tsAt[j] as number, ts, this.#tsLen);
    value.write(seq.toString(16).padStart(24, '0').slice(-24), (this.#idAt[j] as number) + 8, 'latin1');
    return { key: this.#keys[j] as Buffer, value };
  }
}
