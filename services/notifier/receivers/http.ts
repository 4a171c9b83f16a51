// POST JSON with a timeout; the outcome classified as Alertmanager's notify.Retrier does: 5xx and 429
// retry, other 4xx do not, connection errors retry. The error text names the receiver and the
// status or error code only: never the URL (a Slack URL is a credential) nor the response body
// (a receiver may echo what it was sent).
import type { Page } from '../page.js';
import type { NotifyResult, Receiver, ReceiverOptions } from './types.js';

export async function postJson(
  receiver: string,
  url: string,
  body: string,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<NotifyResult> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'leakwatch-notifier', ...headers },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const e = err as { name?: string; cause?: { code?: string } };
    const why =
      e.name === 'TimeoutError'
        ? `timed out after ${timeoutMs} ms`
        : `connection failed (${e.cause?.code ?? e.name ?? 'error'})`;
    return { retry: true, error: `${receiver}: ${why}` };
  }
  await res.arrayBuffer().catch(() => undefined);
  if (res.ok) return { retry: false };
  const retry = res.status >= 500 || res.status === 429 || res.status === 408;
  return { retry, error: `${receiver}: HTTP ${res.status}` };
}

/** What a receiver POSTs for one page: the JSON body and any headers of its own. */
export interface JsonPost {
  body: string;
  headers?: Record<string, string>;
}

/** A receiver that POSTs one JSON document a page to `url` (every receiver type is one). */
export function jsonReceiver(
  r: { name: string; type: string; url: string },
  o: ReceiverOptions,
  post: (page: Page) => JsonPost,
): Receiver {
  return {
    name: r.name,
    type: r.type,
    notify(page: Page): Promise<NotifyResult> {
      const { body, headers = {} } = post(page);
      return postJson(r.name, r.url, body, headers, o.timeoutMs);
    },
  };
}
