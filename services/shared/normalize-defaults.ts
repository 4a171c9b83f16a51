// collector.normalize's defaults, in their own module: config.ts's DEFAULTS uses this object, and the
// collector's pipeline imports it directly, so it loads without config.ts and its TypeBox schemas and
// YAML parser (about 200 ms of module loading, paid at the start of every `scan` parsing thread and
// `parse`). A type-only import of Config: nothing of config.ts is loaded.
import type { Config } from './config.js';

export const NORMALIZE_DEFAULTS: Readonly<Config['collector']['normalize']> = {
  sessionCookies: [
    'PHPSESSID',
    'wordpress_logged_in_*',
    'wordpress_sec_*',
    'frontend',
    '_secure_session_id',
    'sessionid',
    'session',
    'connect.sid',
    'JSESSIONID',
  ],
  sessionHeaders: ['x-session-id'],
  apiKeyQueryParams: ['consumer_key', 'api_key', 'apikey', 'access_token', 'key_id'],
  apiKeyHeaders: ['x-api-key', 'x-shopify-access-token', 'authorization'],
  // Loopback, RFC 1918, link-local, CGNAT, IPv6 loopback / ULA / link-local.
  trustedProxies: [
    '127.0.0.0/8',
    '10.0.0.0/8',
    '172.16.0.0/12',
    '192.168.0.0/16',
    '169.254.0.0/16',
    '100.64.0.0/10',
    '::1/128',
    'fc00::/7',
    'fe80::/10',
  ],
  emergencySignals: {
    headers: ['x-break-glass', 'x-emergency-access'],
    queryParams: ['break_glass', 'emergency_access'],
    routePrefixes: ['/emergency/', '/break-glass/'],
    users: [],
  },
  authenticatedSignals: { cookies: ['wordpress_logged_in_*'], headers: [], unauthorizedStatuses: [401] },
  tableKinds: {},
  phi: {
    mrnPattern: '(?<![A-Za-z0-9])MRN[-: #]?(\\d{6,10})(?![0-9])',
    extraParams: { dob: [], mrn: [], icd10: [], phone: [], name: [] },
  },
};
