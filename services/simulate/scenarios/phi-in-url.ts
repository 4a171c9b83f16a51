// phi-in-url: SSNs, e-mail addresses, dates of birth and phone numbers in query strings (GET intake
// forms, patient/customer search).
import { browserUa } from '../agents.js';
import { line, req, type SimLine } from '../format.js';
import { listBytes } from '../platforms.js';
import type { Rng } from '../prng.js';
import { gets, ipEntities } from './common.js';
import { HOUR, MIN, pace, type ScenarioClass } from './types.js';

const FIRST = [
  'jane',
  'maria',
  'li',
  'samuel',
  'aisha',
  'tom',
  'fatima',
  'diego',
  'emma',
  'noah',
  'olga',
  'kofi',
];
const LAST = ['doe', 'garcia', 'nguyen', 'smith', 'okafor', 'kowalski', 'haddad', 'silva', 'berg', 'tanaka'];
const DOMAINS = ['example.com', 'example.org', 'mail.example.net'];

/** `ddd-dd-dddd` that passes SSA validity: area 001–665/667–899, group 01–99, serial 0001–9999. */
export function fakeSsn(rng: Rng): string {
  let area = rng.int(1, 899);
  if (area === 666) area = 667;
  return `${String(area).padStart(3, '0')}-${String(rng.int(1, 99)).padStart(2, '0')}-${String(rng.int(1, 9999)).padStart(4, '0')}`;
}

export function fakeEmail(rng: Rng): string {
  return `${rng.pick(FIRST)}.${rng.pick(LAST)}${rng.int(1, 99)}@${rng.pick(DOMAINS)}`;
}

export function fakeDob(rng: Rng): string {
  return `${rng.int(1940, 2005)}-${String(rng.int(1, 12)).padStart(2, '0')}-${String(rng.int(1, 28)).padStart(2, '0')}`;
}

export function fakePhone(rng: Rng): string {
  return `(${rng.int(201, 989)}) ${rng.int(200, 999)}-${String(rng.int(0, 9999)).padStart(4, '0')}`;
}

const enc = encodeURIComponent;

export const phiInUrl: ScenarioClass = {
  id: 'phi-in-url',
  variants: [
    {
      intensity: 'single',
      platform: 'telehealth',
      durationMs: 2 * MIN,
      build({ rng, ips, t0 }) {
        const ip = ips.take();
        const ua = browserUa(rng);
        const first = rng.pick(FIRST);
        const last = rng.pick(LAST);
        const q =
          `first_name=${first}&last_name=${last}&dob=${fakeDob(rng)}&email=${enc(fakeEmail(rng))}` +
          `&phone=${enc(fakePhone(rng))}&ssn=${fakeSsn(rng)}&insurance=bcbs`;
        const ref = 'https://care.example.com/intake/';
        // the attack is the one request with PHI in it; the form page and the thank-you page around it are history
        const submit = line({
          ts: t0,
          ip,
          ua,
          referer: ref,
          request: req('GET', `/intake/submit?${q}`),
          status: 302,
          bytes: 0,
        });
        const history: SimLine[] = [
          line({
            ts: t0 - rng.int(60_000, 100_000),
            ip,
            ua,
            request: req('GET', '/intake/'),
            status: 200,
            bytes: rng.int(30_000, 50_000),
          }),
          line({
            ts: t0 + 1000,
            ip,
            ua,
            referer: ref,
            request: req('GET', '/intake/thank-you/'),
            status: 200,
            bytes: rng.int(20_000, 30_000),
          }),
        ];
        return {
          entities: [{ type: 'client_ip', raw: ip }],
          attack: [submit],
          history,
          description: 'Intake form submitted with GET: name, DOB, e-mail, phone and SSN in the query string',
        };
      },
    },
    {
      intensity: 'repeated',
      platform: 'woocommerce',
      durationMs: 20 * MIN,
      build({ rng, ips, t0, durationMs }) {
        const ip = ips.take();
        const user = 'cs.agent2';
        const session = rng.phpSessionId();
        const ua = browserUa(rng);
        const n = rng.int(15, 30);
        const times = pace(rng, t0, n, 20_000, 80_000, durationMs);
        const attack = gets(
          times,
          { ip, user, session, ua, referer: 'https://shop.example.com/wp-admin/' },
          () =>
            rng.weighted<string>([
              [`/wp-json/wc/v3/customers?email=${enc(fakeEmail(rng))}`, 3],
              [`/wp-admin/users.php?s=${enc(fakeEmail(rng))}`, 2],
              [`/wp-json/wc/v3/customers?billing_phone=${enc(fakePhone(rng))}`, 1],
              [`/wp-admin/admin.php?page=patient-lookup&ssn=${fakeSsn(rng)}&dob=${fakeDob(rng)}`, 2],
            ]),
          () => listBytes(rng, 1),
        );
        return {
          entities: [{ type: 'user', raw: user }],
          attack,
          description: `Support agent searches ${n} customers by e-mail, phone, SSN and DOB in URLs`,
        };
      },
    },
    {
      intensity: 'spread',
      platform: 'shopify',
      durationMs: 3 * HOUR,
      build({ rng, ips, t0, durationMs }) {
        const visitors = ips.takeN(rng.int(6, 10));
        const times = pace(rng, t0, visitors.length, 10 * MIN, 30 * MIN, durationMs);
        const attack = visitors.map((ip, i) => {
          const target = rng.chance(0.5)
            ? `/search?q=${fakeSsn(rng)}&type=product`
            : `/account/lookup?email=${enc(fakeEmail(rng))}&dob=${fakeDob(rng)}`;
          return line({
            ts: times[i] as number,
            ip,
            ua: browserUa(rng),
            referer: 'https://shop.example.com/',
            request: req('GET', target),
            status: 200,
            bytes: rng.int(15_000, 40_000),
          });
        });
        return {
          entities: ipEntities(visitors),
          attack,
          description: `${visitors.length} visitors over hours put an SSN or e-mail + DOB into storefront search/lookup URLs`,
        };
      },
    },
  ],
};
