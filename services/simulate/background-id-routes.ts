// Background on id routes outside the built-in route table (issue 15): what a healthcare shop's
// plugins and portal add, read the ordinary way, so the detections that now count every id route
// are measured against it.
//
// - patients (a session each) open their own booking (a booking plugin's REST route), lab result,
//   invoice PDF and prescription in the portal;
// - a booking integration (WooCommerce-style key) polls new bookings and fetches each by id, a
//   few an hour;
// - anonymous visitors read public doctor profiles and events (`/doctors/{id}/`, `/events/{id}`);
//   Googlebot walks the doctor profiles in order once a day (allowed: a doctor is not sensitive).

import { browserUa, CRAWLER_UAS } from './agents.js';
import { arrivals } from './background.js';
import { line, req, type SimLine } from './format.js';
import { publicIp } from './ips.js';
import { errorBytes, recordBytes, wooAuth } from './platforms.js';
import type { Rng } from './prng.js';

const MIN = 60_000;
const HOUR = 60 * MIN;

/** Routes of plugins and portals that the built-in table does not name. */
export const outsideTable = {
  booking: (id: number) => `/wp-json/booking-calendar/v1/bookings/${id}`,
  bookings: (q: string) => `/wp-json/booking-calendar/v1/bookings?${q}`,
  labResult: (id: number) => `/portal/lab-results/${id}`,
  invoice: (id: number) => `/portal/invoices/${id}.pdf`,
  prescription: (id: number) => `/api/v1/prescriptions/${id}`,
  subscription: (id: number) => `/wp-json/wc/v3/subscriptions/${id}`,
  doctor: (id: number) => `/doctors/${id}/`,
  event: (id: number) => `/events/${id}`,
};

export function idRouteBackground(rng: Rng, start: number, end: number, out: SimLine[]): void {
  // Patients reading their own records.
  const pr = rng.fork('portal');
  for (const t0 of arrivals(pr, start, end, 25)) {
    const ip = publicIp(pr);
    const ua = browserUa(pr);
    const session = pr.phpSessionId();
    const targets = pr.shuffle([
      outsideTable.booking(pr.int(20_000, 30_000)),
      outsideTable.labResult(pr.int(100_000, 200_000)),
      outsideTable.invoice(pr.int(5_000, 9_000)),
      outsideTable.prescription(pr.int(60_000, 80_000)),
    ]);
    let t = t0;
    for (const target of targets.slice(0, pr.int(1, 4))) {
      out.push(
        line({
          ts: t,
          ip,
          ua,
          session,
          referer: 'https://care.example.com/portal/',
          request: req('GET', target),
          status: 200,
          bytes: target.endsWith('.pdf') ? pr.int(40_000, 200_000) : recordBytes(pr),
        }),
      );
      t += pr.exp(25_000) + 1000;
    }
  }

  // A booking integration: polls, then fetches each new booking by id.
  const ir = rng.fork('booking-sync');
  const ck = ir.wooConsumerKey();
  const cs = ir.wooConsumerSecret();
  const auth = wooAuth(ck, cs);
  let next = ir.int(31_000, 32_000);
  for (let t = start + ir.int(0, 5 * MIN); t < end; t += 5 * MIN) {
    out.push(
      line({
        ts: t,
        ip: '52.14.201.88',
        ua: 'BookingSync/3.2 (+https://bookingsync.example)',
        request: req('GET', `${outsideTable.bookings('status=new&per_page=20')}&${auth}`),
        status: 200,
        bytes: ir.int(300, 4_000),
      }),
    );
    if (ir.chance(0.15)) {
      out.push(
        line({
          ts: t + 2_000,
          ip: '52.14.201.88',
          ua: 'BookingSync/3.2 (+https://bookingsync.example)',
          request: req('GET', `${outsideTable.booking(next)}?${auth}`),
          status: 200,
          bytes: recordBytes(ir),
        }),
      );
      next += ir.int(1, 4);
    }
  }

  // Public pages on id routes: visitors at random, Googlebot in order once a day.
  const vr = rng.fork('public');
  for (const t of arrivals(vr, start, end, 60)) {
    const doctor = vr.chance(0.6);
    const id = doctor ? vr.int(1, 80) : vr.int(1, 400);
    const status = vr.chance(0.03) ? 404 : 200;
    out.push(
      line({
        ts: t,
        ip: publicIp(vr),
        ua: browserUa(vr),
        referer: 'https://care.example.com/',
        request: req('GET', doctor ? outsideTable.doctor(id) : outsideTable.event(id)),
        status,
        bytes: status === 200 ? vr.int(15_000, 60_000) : errorBytes(vr, 404),
      }),
    );
  }
  const gb = CRAWLER_UAS[0] as string;
  for (let day = Math.floor(start / (24 * HOUR)) * 24 * HOUR; day < end; day += 24 * HOUR) {
    let t = day + 3 * HOUR + vr.int(0, 2 * HOUR);
    for (let id = 1; id <= 80; id++) {
      if (t >= start && t < end)
        out.push(
          line({
            ts: t,
            ip: `66.249.66.${vr.int(2, 250)}`,
            ua: gb,
            request: req('GET', outsideTable.doctor(id)),
            status: 200,
            bytes: vr.int(15_000, 60_000),
          }),
        );
      t += vr.int(5_000, 40_000);
    }
  }
}
