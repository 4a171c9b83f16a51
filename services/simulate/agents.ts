// Real user-agent strings, by kind of client.
import type { Rng } from './prng.js';

export const BROWSER_UAS: readonly string[] = Object.freeze([
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36 Edg/125.0.0.0',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0',
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Safari/537.36',
  'Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
]);

/** Scripts and HTTP libraries, as attackers and integrations send them. */
export const TOOL_UAS: readonly string[] = Object.freeze([
  'curl/8.5.0',
  'curl/7.81.0',
  'python-requests/2.31.0',
  'python-requests/2.28.1',
  'Go-http-client/1.1',
  'Go-http-client/2.0',
  'Wget/1.21.4',
  'okhttp/4.12.0',
  'PostmanRuntime/7.37.3',
  'Python/3.11 aiohttp/3.9.3',
]);

export const CRAWLER_UAS: readonly string[] = Object.freeze([
  'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
  'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)',
  'Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)',
  'Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)',
  'Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)',
  'Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html)',
]);

export const WP_CRON_UA = 'WordPress/6.8; https://shop.example.com';
export const WOO_CLIENT_UA = 'WooCommerce API Client-PHP/3.1.0';
export const MAGENTO_CLIENT_UA = 'GuzzleHttp/7';
export const SHOPIFY_CLIENT_UA = 'ShopifyAPI Library v14.3.0 | Ruby 3.2.2';

export function browserUa(rng: Rng): string {
  return rng.pick(BROWSER_UAS);
}

export function toolUa(rng: Rng): string {
  return rng.pick(TOOL_UAS);
}
