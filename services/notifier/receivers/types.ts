// What every receiver implements (Alertmanager's notify.Notifier shape).
import type { Page } from '../page.js';

export interface NotifyResult {
  /** Worth trying again (connection failed, 5xx, 429); false: the receiver refused it for good. */
  retry: boolean;
  /** Set when not delivered: a short reason without URL, secret, routing key or body. */
  error?: string;
}

export interface Receiver {
  readonly name: string;
  readonly type: string;
  notify(page: Page): Promise<NotifyResult>;
}

export interface ReceiverOptions {
  timeoutMs: number;
}
