// collector.normalize (services/shared/config.ts) compiled once into the lookups
// recordToAccessEvent uses per record. Defaults are the config defaults.
//
// Name lists: a trailing `*` makes a prefix match (`wordpress_logged_in_*`). Header and query
// parameter names are matched lowercase; cookie names as written (cookies are case-sensitive).

import type { Config } from '#shared/config.js';
import { ConfigInvalid } from '#shared/errors.js';
import { NORMALIZE_DEFAULTS } from '#shared/normalize-defaults.js';
import { type CidrSet, compileCidrs } from './net.js';
import { createPhiDetectors, type PhiDetector, type RedactorOptions } from './redact.js';

export type NormalizeConfig = Config['collector']['normalize'];

/** Exact names and prefixes (from `name*`). */
export interface NameMatcher {
  readonly exact: ReadonlySet<string>;
  readonly prefixes: readonly string[];
  /** Configured order, for "first configured name wins". */
  readonly order: ReadonlyArray<{ name: string; prefix: boolean }>;
  readonly empty: boolean;
}

export interface NormalizeOptions {
  /**
   * false: event_id is left '' for the caller to derive from source and position when it is read
   * (scan's parsing thread: the detection thread hashes only the ids it uses). Default true.
   */
  eventIds?: boolean;
  /**
   * false: the web attrs that only the archive and its readers use (`referer_host`, `host`) are
   * not computed: scan, where no rule reads them (the detector reads `attrs.bucket` only). Default true.
   */
  archiveAttrs?: boolean;
  sessionCookies: NameMatcher;
  /** Lowercase header names. */
  sessionHeaders: readonly string[];
  /** Lowercase query parameter names. */
  apiKeyQueryParams: ReadonlySet<string>;
  /** Lowercase header names, in order. */
  apiKeyHeaders: readonly string[];
  trustedProxies: CidrSet;
  emergency: {
    headers: readonly string[];
    queryParams: ReadonlySet<string>;
    /** Lowercase path prefixes. */
    routePrefixes: readonly string[];
    /** Lowercase user names. */
    users: ReadonlySet<string>;
  };
  authenticated: {
    cookies: NameMatcher;
    headers: readonly string[];
    unauthorizedStatuses: ReadonlySet<number>;
  };
  /** Lowercase table name → resource_kind (built-in table + config). */
  tableKinds: ReadonlyMap<string, string>;
  /** The PHI detector catalogue (mrnPattern, extra parameter names applied). */
  detectors: readonly PhiDetector[];
  /** Pass to createRedactor so the redactor uses the same catalogue. */
  redactor: RedactorOptions;
}

/** Tables whose rows are a resource of a kind (WordPress/WooCommerce, Magento, telehealth schemas). */
export const DEFAULT_TABLE_KINDS: Readonly<Record<string, string>> = Object.freeze({
  orders: 'order',
  wc_orders: 'order',
  wc_order_stats: 'order',
  woocommerce_order_items: 'order',
  sales_order: 'order',
  sales_order_grid: 'order',
  sales_order_address: 'order',
  customers: 'customer',
  customer_entity: 'customer',
  customer_address_entity: 'customer',
  customer_grid_flat: 'customer',
  wc_customer_lookup: 'customer',
  patients: 'patient',
  patient: 'patient',
  appointments: 'appointment',
  appointment: 'appointment',
  recordings: 'recording',
  prescriptions: 'prescription',
  users: 'user',
  usermeta: 'user',
  admin_user: 'user',
  // issue 15: what healthcare shops' plugins store (form entries hold intake answers)
  gf_entry: 'form_entry',
  gf_entry_meta: 'form_entry',
  rg_lead: 'form_entry',
  rg_lead_detail: 'form_entry',
  wpforms_entries: 'form_entry',
  wpforms_entry_fields: 'form_entry',
  frm_items: 'form_entry',
  frm_item_metas: 'form_entry',
  amelia_appointments: 'appointment',
  amelia_customer_bookings: 'booking',
  bookly_appointments: 'appointment',
  bookly_customer_appointments: 'appointment',
  lab_results: 'lab_result',
  invoices: 'invoice',
  subscriptions: 'subscription',
  medical_records: 'medical_record',
});

function names(list: readonly string[]): NameMatcher {
  const exact = new Set<string>();
  const prefixes: string[] = [];
  const order: Array<{ name: string; prefix: boolean }> = [];
  for (const n of list) {
    if (n.endsWith('*')) {
      prefixes.push(n.slice(0, -1));
      order.push({ name: n.slice(0, -1), prefix: true });
    } else {
      exact.add(n);
      order.push({ name: n, prefix: false });
    }
  }
  return { exact, prefixes, order, empty: order.length === 0 };
}

const lower = (list: readonly string[]) => list.map((x) => x.toLowerCase());

/**
 * Validates and compiles collector.normalize; missing keys take the defaults. Throws
 * ConfigInvalid (bad CIDR, bad MRN regular expression).
 */
export function compileNormalizeOptions(cfg: Partial<NormalizeConfig> = {}): NormalizeOptions {
  const d = NORMALIZE_DEFAULTS;
  const c: NormalizeConfig = {
    ...d,
    ...cfg,
    emergencySignals: { ...d.emergencySignals, ...cfg.emergencySignals },
    authenticatedSignals: { ...d.authenticatedSignals, ...cfg.authenticatedSignals },
    phi: {
      ...d.phi,
      ...cfg.phi,
      extraParams: { ...d.phi.extraParams, ...cfg.phi?.extraParams },
    },
  };
  let detectors: readonly PhiDetector[];
  try {
    detectors = createPhiDetectors({ mrnPattern: c.phi.mrnPattern, extraParams: c.phi.extraParams });
  } catch (err) {
    throw ConfigInvalid(`collector.normalize.phi.mrnPattern: ${(err as Error).message}`);
  }
  const tableKinds = new Map<string, string>(Object.entries(DEFAULT_TABLE_KINDS));
  for (const [t, k] of Object.entries(c.tableKinds)) tableKinds.set(t.toLowerCase(), k);
  return {
    sessionCookies: names(c.sessionCookies),
    sessionHeaders: lower(c.sessionHeaders),
    apiKeyQueryParams: new Set(lower(c.apiKeyQueryParams)),
    apiKeyHeaders: lower(c.apiKeyHeaders),
    trustedProxies: compileCidrs(c.trustedProxies),
    emergency: {
      headers: lower(c.emergencySignals.headers),
      queryParams: new Set(lower(c.emergencySignals.queryParams)),
      routePrefixes: lower(c.emergencySignals.routePrefixes),
      users: new Set(lower(c.emergencySignals.users)),
    },
    authenticated: {
      cookies: names(c.authenticatedSignals.cookies),
      headers: lower(c.authenticatedSignals.headers),
      unauthorizedStatuses: new Set(c.authenticatedSignals.unauthorizedStatuses),
    },
    tableKinds,
    detectors,
    redactor: { detectors },
  };
}

/** The first cookie (configured order) whose name matches, with a non-empty value: [name, value]. */
export function findCookie(
  m: NameMatcher,
  cookies: Readonly<Record<string, string>>,
): [string, string] | null {
  if (m.empty) return null;
  for (const { name, prefix } of m.order) {
    if (!prefix) {
      const v = cookies[name];
      if (v !== undefined && v !== '' && v !== '-') return [name, v];
      continue;
    }
    for (const k in cookies) {
      if (!k.startsWith(name)) continue;
      const v = cookies[k] as string;
      if (v !== '' && v !== '-') return [k, v];
    }
  }
  return null;
}
