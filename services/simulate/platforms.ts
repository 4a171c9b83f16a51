// Request targets and response sizes of the platforms the simulator imitates.
import type { Rng } from './prng.js';

export type Platform = 'woocommerce' | 'magento' | 'shopify' | 'wordpress' | 'telehealth';

export const SHOPIFY_API = '/admin/api/2024-01';
export const TELEHEALTH_API = '/wp-json/telehealth/v1';

/** `consumer_key=…&consumer_secret=…` (WooCommerce REST over HTTPS with query-string auth). */
export function wooAuth(ck: string, cs: string): string {
  return `consumer_key=${ck}&consumer_secret=${cs}`;
}

export const woo = {
  order: (id: number | string) => `/wp-json/wc/v3/orders/${id}`,
  customer: (id: number | string) => `/wp-json/wc/v3/customers/${id}`,
  orders: (q: string) => `/wp-json/wc/v3/orders?${q}`,
  viewOrder: (id: number) => `/my-account/view-order/${id}/`,
  orderReceived: (id: number, key: string) => `/checkout/order-received/${id}/?key=${key}`,
  export: (name: string) => `/wp-content/uploads/wc-exports/${name}`,
};

export const magento = {
  order: (id: number) => `/rest/V1/orders/${id}`,
  customer: (id: number) => `/rest/default/V1/customers/${id}`,
  ordersSearch: (pageSize: number, page: number, updatedSince?: string) =>
    '/rest/V1/orders?' +
    (updatedSince
      ? `searchCriteria[filter_groups][0][filters][0][field]=updated_at&searchCriteria[filter_groups][0][filters][0][value]=${encodeURIComponent(updatedSince)}&searchCriteria[filter_groups][0][filters][0][condition_type]=gt&`
      : '') +
    `searchCriteria[pageSize]=${pageSize}&searchCriteria[currentPage]=${page}`,
};

export const shopify = {
  order: (id: number) => `${SHOPIFY_API}/orders/${id}.json`,
  customer: (id: number) => `${SHOPIFY_API}/customers/${id}.json`,
  orders: (q: string) => `${SHOPIFY_API}/orders.json?${q}`,
};

export const telehealth = {
  patient: (id: number | string) => `${TELEHEALTH_API}/patients/${id}`,
  appointment: (id: number) => `${TELEHEALTH_API}/appointments/${id}`,
  wpRecording: (n: number) => `/wp-content/uploads/recordings/session-${String(n).padStart(4, '0')}.mp4`,
  recording: (year: number, n: number) => `/recordings/${year}/visit-${String(n).padStart(6, '0')}.mp4`,
};

/** Bytes of one order / customer / patient JSON document. */
export function recordBytes(rng: Rng): number {
  return rng.int(1400, 4800);
}

/** Bytes of a list page of `n` orders. */
export function listBytes(rng: Rng, n: number): number {
  return Math.round(n * rng.int(2600, 4200) + rng.int(200, 900));
}

/** A consultation recording: 15–60 minutes of 480p–720p video. */
export function recordingBytes(rng: Rng): number {
  return rng.int(40_000_000, 380_000_000);
}

/** Not-found / forbidden JSON error bodies. */
export function errorBytes(rng: Rng, status: number): number {
  if (status === 404) return rng.int(120, 190);
  if (status === 403 || status === 401) return rng.int(90, 160);
  return rng.int(0, 150);
}

const SLUGS = [
  'vitamin-d3-2000iu',
  'omega-3-fish-oil',
  'digital-thermometer',
  'blood-pressure-monitor',
  'compression-socks',
  'pulse-oximeter',
  'glucose-test-strips-50',
  'first-aid-kit',
  'knee-brace',
  'melatonin-5mg',
  'probiotic-daily',
  'hand-sanitizer-500ml',
  'nitrile-gloves-100',
  'heating-pad',
  'magnesium-glycinate',
  'allergy-relief-24h',
  'hearing-aid-batteries',
  'reading-glasses-2-0',
  'foot-cream-urea',
  'sleep-mask-contoured',
];
const CATEGORIES = ['supplements', 'devices', 'first-aid', 'mobility', 'sleep', 'diabetes-care', 'skin-care'];

export function productSlug(rng: Rng): string {
  return rng.pick(SLUGS);
}

export function categorySlug(rng: Rng): string {
  return rng.pick(CATEGORIES);
}

export const STATIC_ASSETS: readonly string[] = Object.freeze([
  '/wp-content/themes/storefront/style.css?ver=4.5.4',
  '/wp-content/themes/storefront/assets/js/navigation.min.js?ver=4.5.4',
  '/wp-includes/js/jquery/jquery.min.js?ver=3.7.1',
  '/wp-content/plugins/woocommerce/assets/js/frontend/cart-fragments.min.js?ver=8.7.0',
  '/wp-content/plugins/woocommerce/assets/css/woocommerce.css?ver=8.7.0',
  '/wp-includes/css/dist/block-library/style.min.css?ver=6.5.2',
  '/favicon.ico',
]);
