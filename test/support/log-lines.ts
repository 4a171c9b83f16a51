// Crafted nginx combined lines for tests and the demo's injected leak.
export function nginxTime(ms: number): string {
  const d = new Date(ms);
  const mon = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][
    d.getUTCMonth()
  ];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${mon}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

export function nginxLine(o: {
  ip: string;
  ms: number;
  target: string;
  status?: number;
  bytes?: number;
  method?: string;
  user?: string;
  ua?: string;
}): string {
  return `${o.ip} - ${o.user ?? '-'} [${nginxTime(o.ms)}] "${o.method ?? 'GET'} ${o.target} HTTP/1.1" ${o.status ?? 200} ${o.bytes ?? 1234} "-" "${o.ua ?? 'Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0'}"`;
}

/** One client walking WooCommerce order ids one by one, a request every `stepMs`. */
export function orderWalk(
  ip: string,
  startMs: number,
  fromId: number,
  count: number,
  stepMs = 700,
): string[] {
  return Array.from({ length: count }, (_, i) =>
    nginxLine({
      ip,
      ms: startMs + i * stepMs,
      target: `/wp-json/wc/v3/orders/${fromId + i}`,
      bytes: 2300 + (i % 7) * 31,
    }),
  );
}
